import * as assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  decodeRelayMessage,
  encodeRelayMessage,
  generateKeyPair,
  initCrypto,
  openRelayDescriptor,
  openRelayMessage,
  outboundConsumer,
  outboundSubject,
  RELAY_CLOCK_WINDOW_MS,
  relayFingerprint,
  relayKeyPairMatches,
  RelayKind,
  sealRelayMessage,
  signRelayDescriptor,
  type KeyPair,
} from '../src/index.js';
import { expectFail, expectOk } from './fixtures.js';

const NOW = 1_795_000_000_000;
const enc = new TextEncoder();

describe('relay links', () => {
  let a: KeyPair;
  let b: KeyPair;
  let forged: KeyPair;
  before(async () => {
    await initCrypto();
    a = generateKeyPair();
    b = generateKeyPair();
    forged = generateKeyPair();
  });

  const nonce = new Uint8Array(16).fill(7);
  const request = (keys: KeyPair, o: { from?: string; to?: string; at?: number } = {}) =>
    expectOk(
      sealRelayMessage(
        keys,
        {
          kind: RelayKind.MailRequest,
          from: o.from ?? 'relay-a',
          to: o.to ?? 'relay-b',
          timestampMs: o.at ?? NOW,
          nonce,
        },
        enc.encode('batch bytes'),
      ),
    );
  const openAtB = (bytes: Uint8Array, o: { now?: number; kind?: RelayKind } = {}) =>
    openRelayMessage(bytes, {
      me: 'relay-b',
      kind: o.kind ?? RelayKind.MailRequest,
      nowMs: o.now ?? NOW,
      peerByFingerprint: (fp) => (fp === relayFingerprint(a.publicKey) ? 'relay-a' : undefined),
    });

  test('relay - a fingerprint is 64 hex digits and differs per key; key pairs are checked', () => {
    assert.match(relayFingerprint(a.publicKey), /^[0-9a-f]{64}$/);
    assert.notEqual(relayFingerprint(a.publicKey), relayFingerprint(b.publicKey));
    assert.ok(relayKeyPairMatches(a));
    assert.ok(!relayKeyPairMatches({ publicKey: b.publicKey, privateKey: a.privateKey }));
  });

  test('relay - a signed request opens at its peer with the body it covers', () => {
    const opened = expectOk(openAtB(request(a)));
    assert.equal(opened.peer, 'relay-a');
    assert.deepEqual(opened.body, enc.encode('batch bytes'));
    assert.deepEqual(opened.statement.nonce, nonce);
  });

  test('relay - a forged relay (another key under the peer name) is refused before any signature work', () => {
    expectFail(openAtB(request(forged)), 'ERR_PEER_AUTH');
  });

  test('relay - the right key but another name, another addressee or another kind is refused', () => {
    expectFail(openAtB(request(a, { from: 'relay-c' })), 'ERR_PEER_AUTH');
    expectFail(openAtB(request(a, { to: 'relay-c' })), 'ERR_PEER_AUTH');
    expectFail(openAtB(request(a), { kind: RelayKind.LookupRequest }), 'ERR_PEER_AUTH');
  });

  test('relay - a body swapped under a valid signature is refused', () => {
    const m = expectOk(decodeRelayMessage(request(a)));
    const swapped = encodeRelayMessage({ ...m, body: enc.encode('other bytes') });
    expectFail(openAtB(swapped), 'ERR_PEER_AUTH');
  });

  test('relay - a key carried with a signature by another key is refused', () => {
    const m = expectOk(decodeRelayMessage(request(forged)));
    expectFail(openAtB(encodeRelayMessage({ ...m, relayKey: a.publicKey })), 'ERR_PEER_AUTH');
  });

  test('relay - outside the clock window is stale, at its edge is fine', () => {
    expectOk(openAtB(request(a), { now: NOW + RELAY_CLOCK_WINDOW_MS }));
    expectFail(openAtB(request(a), { now: NOW + RELAY_CLOCK_WINDOW_MS + 1 }), 'ERR_PEER_STALE');
    expectFail(openAtB(request(a), { now: NOW - RELAY_CLOCK_WINDOW_MS - 1 }), 'ERR_PEER_STALE');
  });

  test('relay - a response must repeat the request nonce', () => {
    const resp = expectOk(
      sealRelayMessage(
        b,
        { kind: RelayKind.MailReceipt, from: 'relay-b', to: 'relay-a', timestampMs: NOW, nonce },
        new Uint8Array(0),
      ),
    );
    const open = (n: Uint8Array) =>
      openRelayMessage(resp, {
        me: 'relay-a',
        kind: RelayKind.MailReceipt,
        nowMs: NOW,
        nonce: n,
        peerByFingerprint: (fp) => (fp === relayFingerprint(b.publicKey) ? 'relay-b' : undefined),
      });
    expectOk(open(nonce));
    expectFail(open(new Uint8Array(16)), 'ERR_PEER_AUTH');
  });

  test('relay - a descriptor opens with the right fingerprint only', () => {
    const rec = expectOk(
      signRelayDescriptor(a, {
        relay: 'relay-a',
        relayKey: a.publicKey,
        url: 'http://127.0.0.1:1',
        timestampMs: NOW,
      }),
    );
    const d = expectOk(openRelayDescriptor(rec, relayFingerprint(a.publicKey)));
    assert.equal(d.relay, 'relay-a');
    expectFail(openRelayDescriptor(rec, relayFingerprint(b.publicKey)), 'ERR_PEER_AUTH');
    expectFail(
      signRelayDescriptor(a, { relay: 'x', relayKey: b.publicKey, url: '', timestampMs: NOW }),
      'ERR_PEER_AUTH',
    );
  });

  test('relay - outbound subjects and consumers map relay names one to one', () => {
    assert.equal(outboundSubject('relay-b'), 'komrade.v1.relay.outbound.relay-b');
    assert.equal(outboundSubject('abc.onion'), 'komrade.v1.relay.outbound.abc_onion');
    assert.equal(outboundConsumer('abc.onion'), 'forward-abc_onion');
    assert.notEqual(outboundSubject('a.b'), outboundSubject('a-b'));
  });
});
