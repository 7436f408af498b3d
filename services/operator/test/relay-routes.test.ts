import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  ContentKind,
  decodeDirectoryLookup,
  decodeEnvelope,
  decodeRelayMailReceipt,
  encodeDirectoryLookup,
  encodeEnvelopeBatch,
  encodeErrorReply,
  encodeRemoteLookup,
  generateKeyPair,
  initCrypto,
  mintPostage,
  openRelayDescriptor,
  openRelayMessage,
  postageBits,
  ReceiptOutcome,
  relayFingerprint,
  RelayKind,
  sealMail,
  sealRelayMessage,
  withPostage,
  type DecodedEnvelope,
  type KeyPair,
} from '@komrade/protocol';
import { createLogger } from '@komrade/service-runtime';
import { buildApp } from '../src/app.js';
import { operatorConfig } from '../src/config.js';
import { OperatorFederation, PeerQuotas, type NonceGuard } from '../src/federation.js';
import type { OperatorDeps } from '../src/operator-deps.js';
import { PostageGovernor } from '../src/postage-governor.js';

const octet = { 'content-type': 'application/octet-stream' };

function memoryNonces(): NonceGuard {
  const seen = new Set<string>();
  return {
    claim: (n) => {
      const k = Buffer.from(n).toString('hex');
      if (seen.has(k)) return Promise.resolve(false);
      seen.add(k);
      return Promise.resolve(true);
    },
  };
}

/**
 * An envelope stamped with exactly `bits` of postage (minting stops at the first nonce
 * with at least that many zero bits, which may have more; such a stamp is re-drawn so a
 * test of a too-weak stamp never passes by luck).
 */
function envelope(relay: string, bits: number): Uint8Array {
  for (;;) {
    const e = envelopeAtLeast(relay, bits);
    const d = decodeEnvelope(e);
    assert.ok(d.ok);
    if (postageBits(d.value.id, d.value.postage) === bits) return e;
  }
}

function envelopeAtLeast(relay: string, bits: number): Uint8Array {
  const s = sealMail({
    to: { relay, id: crypto.getRandomValues(new Uint8Array(16)) },
    mailboxKey: generateKeyPair().publicKey,
    sender: generateKeyPair(),
    kind: ContentKind.Text,
    content: new TextEncoder().encode('x'),
    expiryHour: Math.floor(Date.now() / 3_600_000) + 5,
    timestampMs: Date.now(),
    messageId: crypto.getRandomValues(new Uint8Array(16)),
  });
  assert.ok(s.ok);
  return withPostage(s.value.bytes, s.value.relayLength, mintPostage(s.value.id, bits));
}

describe('operator relay routes (in-memory sink)', () => {
  let home: KeyPair;
  let peer: KeyPair;
  before(async () => {
    await initCrypto();
    home = generateKeyPair();
    peer = generateKeyPair();
  });

  function setup(o: { envelopesPerMin?: number; forward?: OperatorDeps['forward'] } = {}) {
    const published: DecodedEnvelope[] = [];
    const config = operatorConfig({
      KOMRADE_RELAY_NAME: 'beta',
      KOMRADE_PEERS: `alpha=http://127.0.0.1:1#${relayFingerprint(peer.publicKey)}`,
      KOMRADE_RELAY_KEY: Buffer.concat([home.privateKey, home.publicKey]).toString('base64'),
      KOMRADE_PEER_POSTAGE_BITS: '6',
      KOMRADE_PEER_ENVELOPES_PER_MIN: String(o.envelopesPerMin ?? 1000),
    });
    const federation = new OperatorFederation(
      'beta',
      home,
      config.federation,
      memoryNonces(),
      new PeerQuotas(
        { envelopesPerMin: o.envelopesPerMin ?? 1000, bytesPerMin: 1e9, lookupsPerMin: 100 },
        Date.now,
      ),
      Date.now,
      undefined,
      1000,
    );
    const deps: OperatorDeps = {
      config,
      log: createLogger('operator', 'silent'),
      mail: { publish: async (e) => void published.push(...e) },
      forward: o.forward ?? (async () => encodeErrorReply('ERR_NAME_NOT_FOUND')),
      postage: new PostageGovernor({ baseBits: 2, auto: false, targetRps: 1000 }),
      now: Date.now,
      ready: () => true,
      federation,
    };
    return { app: buildApp(deps), published };
  }

  const request = (keys: KeyPair, kind: RelayKind, body: Uint8Array, nonce?: Uint8Array) => {
    const m = sealRelayMessage(
      keys,
      {
        kind,
        from: 'alpha',
        to: 'beta',
        timestampMs: Date.now(),
        nonce: nonce ?? crypto.getRandomValues(new Uint8Array(16)),
      },
      body,
    );
    assert.ok(m.ok);
    return Buffer.from(m.value);
  };

  test('relay - the descriptor is signed by the relay key', async () => {
    const { app } = setup();
    const res = await app.inject({ method: 'GET', url: '/v1/relay/descriptor' });
    assert.equal(res.statusCode, 200);
    const d = openRelayDescriptor(new Uint8Array(res.rawPayload), relayFingerprint(home.publicKey));
    assert.ok(d.ok);
    assert.equal(d.value.relay, 'beta');
  });

  test('relay - mail from the peer: good envelopes stored, bad ones refused, receipt signed for the request', async () => {
    const { app, published } = setup();
    const good = envelope('beta', 6);
    const weak = envelope('beta', 0);
    const elsewhere = envelope('gamma', 6);
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/relay/mail',
      headers: octet,
      payload: request(
        peer,
        RelayKind.MailRequest,
        encodeEnvelopeBatch([good, weak, elsewhere]),
        nonce,
      ),
    });
    assert.equal(res.statusCode, 200);
    const answer = openRelayMessage(new Uint8Array(res.rawPayload), {
      me: 'alpha',
      kind: RelayKind.MailReceipt,
      nowMs: Date.now(),
      nonce,
      peerByFingerprint: (fp) => (fp === relayFingerprint(home.publicKey) ? 'beta' : undefined),
    });
    assert.ok(answer.ok);
    const receipt = decodeRelayMailReceipt(answer.value.body);
    assert.ok(receipt.ok);
    assert.deepEqual(
      receipt.value.map((e) => e.outcome),
      [ReceiptOutcome.Stored, ReceiptOutcome.Refused, ReceiptOutcome.Refused],
    );
    assert.equal(published.length, 1);
  });

  test('relay - a forged key, a replayed nonce and an over-quota peer are refused with typed codes', async () => {
    const { app, published } = setup({ envelopesPerMin: 2 });
    const batch = encodeEnvelopeBatch([envelope('beta', 6)]);
    const post = (payload: Buffer) =>
      app.inject({ method: 'POST', url: '/v1/relay/mail', headers: octet, payload });
    const forged = await post(request(generateKeyPair(), RelayKind.MailRequest, batch));
    assert.deepEqual(
      [forged.statusCode, forged.json<{ error: { code: string } }>().error.code],
      [401, 'ERR_PEER_AUTH'],
    );
    const once = request(peer, RelayKind.MailRequest, batch);
    assert.equal((await post(once)).statusCode, 200);
    const replay = await post(once);
    assert.deepEqual(
      [replay.statusCode, replay.json<{ error: { code: string } }>().error.code],
      [409, 'ERR_PEER_REPLAY'],
    );
    const big = encodeEnvelopeBatch([envelope('beta', 6), envelope('beta', 6)]);
    const over = await post(request(peer, RelayKind.MailRequest, big));
    assert.deepEqual(
      [over.statusCode, over.json<{ error: { code: string } }>().error.code],
      [429, 'ERR_PEER_QUOTA'],
    );
    // a lookup request is not mail
    const wrongKind = await post(request(peer, RelayKind.LookupRequest, batch));
    assert.equal(wrongKind.statusCode, 401);
    assert.equal(published.length, 1);
  });

  test('relay - clients may send mail for a peer (at the peer postage floor) but not for unknown relays', async () => {
    const { app, published } = setup();
    const post = (e: Uint8Array) =>
      app.inject({ method: 'POST', url: '/v1/mail', headers: octet, payload: Buffer.from(e) });
    assert.equal((await post(envelope('alpha', 6))).statusCode, 202);
    assert.equal((await post(envelope('alpha', 2))).statusCode, 402);
    const unknown = await post(envelope('gamma', 6));
    assert.equal(unknown.json<{ error: { code: string } }>().error.code, 'ERR_RELAY_UNKNOWN');
    assert.equal(published.length, 1);
  });

  test('relay - lookups: a peer gets a signed answer from vouch; a client asking about an unknown relay is refused', async () => {
    const asked: string[] = [];
    const { app } = setup({
      forward: async (_s, body) => {
        const l = decodeDirectoryLookup(body);
        asked.push(l.ok ? l.value.name : '?');
        return encodeErrorReply('ERR_NAME_NOT_FOUND');
      },
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/relay/lookup',
      headers: octet,
      payload: request(peer, RelayKind.LookupRequest, encodeDirectoryLookup({ name: 'bob' })),
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(asked, ['bob']);
    const remote = await app.inject({
      method: 'POST',
      url: '/v1/directory/lookup',
      headers: octet,
      payload: Buffer.from(encodeRemoteLookup({ relay: 'gamma', name: 'bob' })),
    });
    assert.equal(remote.json<{ error: { code: string } }>().error.code, 'ERR_RELAY_UNKNOWN');
    // our own relay by name goes straight to vouch
    const own = await app.inject({
      method: 'POST',
      url: '/v1/directory/lookup',
      headers: octet,
      payload: Buffer.from(encodeRemoteLookup({ relay: 'beta', name: 'carol' })),
    });
    assert.equal(own.statusCode, 404);
    assert.deepEqual(asked, ['bob', 'carol']);
  });
});
