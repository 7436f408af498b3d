import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  ContentKind,
  decodeDirectoryLookup,
  decodeEnvelope,
  decodeRelayFanout,
  decodeRelayMailReceipt,
  decodeRemoteCollective,
  encodeCollectiveShow,
  encodeRelayFanout,
  encodeRemoteCollective,
  FanoutItemKind,
  SUBJECTS,
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
    const fanouts: DecodedEnvelope[] = [];
    const deliveries: Uint8Array[] = [];
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
      mail: {
        publish: async (e) => void published.push(...e),
        publishFanout: async (e) => void fanouts.push(e),
        publishDelivery: async (d) => void deliveries.push(d),
      },
      forward: o.forward ?? (async () => encodeErrorReply('ERR_NAME_NOT_FOUND')),
      postage: new PostageGovernor({ baseBits: 2, auto: false, targetRps: 1000 }),
      now: Date.now,
      ready: () => true,
      federation,
    };
    return { app: buildApp(deps), published, fanouts, deliveries };
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

  test('relay - collective requests of a peer reach vouch naming that peer; a body naming another relay is refused', async () => {
    const asked: { subject: string; relay: string }[] = [];
    const { app } = setup({
      forward: async (subject, body) => {
        const r = decodeRemoteCollective(body);
        asked.push({ subject, relay: r.ok ? r.value.relay : '?' });
        return encodeErrorReply('ERR_COLLECTIVE_NOT_FOUND');
      },
    });
    const show = encodeCollectiveShow({ name: 'portland' });
    const send = (relay: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/relay/collective',
        headers: octet,
        payload: request(
          peer,
          RelayKind.CollectiveRequest,
          encodeRemoteCollective({ relay, body: show }),
        ),
      });
    const ok = await send('alpha');
    assert.equal(ok.statusCode, 200);
    const opened = openRelayMessage(new Uint8Array(ok.rawPayload), {
      me: 'alpha',
      kind: RelayKind.CollectiveAnswer,
      nowMs: Date.now(),
      peerByFingerprint: (fp) => (fp === relayFingerprint(home.publicKey) ? 'beta' : undefined),
    });
    assert.ok(opened.ok, 'the answer is signed by beta');
    const forged = await send('gamma');
    assert.deepEqual(
      [forged.statusCode, forged.json<{ error: { code: string } }>().error.code],
      [401, 'ERR_PEER_AUTH'],
    );
    assert.deepEqual(asked, [{ subject: SUBJECTS.collectiveRemote, relay: 'alpha' }]);
    // a client of ours asking about a relay that is not a peer
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/collectives/show',
      headers: octet,
      payload: Buffer.from(encodeRemoteCollective({ relay: 'gamma', body: show })),
    });
    assert.equal(unknown.json<{ error: { code: string } }>().error.code, 'ERR_RELAY_UNKNOWN');
    // a body of the wrong type for the route
    const wrongType = await app.inject({
      method: 'POST',
      url: '/v1/collectives',
      headers: octet,
      payload: Buffer.from(encodeRemoteCollective({ relay: 'alpha', body: show })),
    });
    assert.equal(wrongType.json<{ error: { code: string } }>().error.code, 'ERR_WIRE_TYPE');
  });

  test('relay - collective posts from a peer: posts to our collectives at the floor, deliveries of its own collectives', async () => {
    const { app, fanouts, deliveries } = setup({ envelopesPerMin: 6 });
    const item = (kind: FanoutItemKind, relay: string, bits: number, targets = 0) => {
      const d = decodeEnvelope(envelope(relay, bits));
      assert.ok(d.ok);
      return {
        kind,
        envelope: d.value,
        targets: Array.from({ length: targets }, () => ({
          mailboxId: crypto.getRandomValues(new Uint8Array(16)),
          mailboxKey: generateKeyPair().publicKey,
        })),
      };
    };
    const items = [
      item(FanoutItemKind.Post, 'beta', 10), // floor 6 + 4: stored
      item(FanoutItemKind.Post, 'beta', 6), // below the floor plus the post surcharge
      item(FanoutItemKind.Delivery, 'alpha', 0, 2), // alpha's own collective: stored
      item(FanoutItemKind.Delivery, 'beta', 0, 1), // not alpha's to deliver
    ];
    const post = (body: Uint8Array) =>
      app.inject({
        method: 'POST',
        url: '/v1/relay/fanout',
        headers: octet,
        payload: request(peer, RelayKind.FanoutRequest, body),
      });
    const res = await post(encodeRelayFanout(items));
    assert.equal(res.statusCode, 200);
    const opened = openRelayMessage(new Uint8Array(res.rawPayload), {
      me: 'alpha',
      kind: RelayKind.FanoutReceipt,
      nowMs: Date.now(),
      peerByFingerprint: (fp) => (fp === relayFingerprint(home.publicKey) ? 'beta' : undefined),
    });
    assert.ok(opened.ok);
    const receipt = decodeRelayMailReceipt(opened.value.body);
    assert.ok(receipt.ok);
    assert.deepEqual(
      receipt.value.map((e) => e.outcome),
      [
        ReceiptOutcome.Stored,
        ReceiptOutcome.Refused,
        ReceiptOutcome.Stored,
        ReceiptOutcome.Refused,
      ],
    );
    assert.equal(fanouts.length, 1);
    assert.equal(deliveries.length, 1);
    const stored = decodeRelayFanout(deliveries[0] ?? new Uint8Array());
    assert.ok(stored.ok);
    assert.equal(stored.value[0]?.targets.length, 2);
    // every member mailbox counts against the peer's quota (6 per minute: 1+1+2+1 used)
    const big = await post(encodeRelayFanout([item(FanoutItemKind.Delivery, 'alpha', 0, 3)]));
    assert.equal(big.json<{ error: { code: string } }>().error.code, 'ERR_PEER_QUOTA');
    // our own clients may post to a peer's collective, not to an unknown relay's
    const client = (e: Uint8Array) =>
      app.inject({ method: 'POST', url: '/v1/fanout', headers: octet, payload: Buffer.from(e) });
    assert.equal((await client(envelope('alpha', 6))).statusCode, 202);
    const unknown = await client(envelope('gamma', 6));
    assert.equal(unknown.json<{ error: { code: string } }>().error.code, 'ERR_RELAY_UNKNOWN');
    assert.equal(fanouts.length, 2);
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
