import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { JsMsg } from '@nats-io/jetstream';
import {
  ContentKind,
  decodeEnvelope,
  decodeEnvelopeBatch,
  decodeRelayFanout,
  encodeRelayFanout,
  FanoutItemKind,
  RelayKind,
  type FanoutItem,
  encodeRelayMailReceipt,
  generateKeyPair,
  initCrypto,
  MAX_BATCH,
  ReceiptOutcome,
  sealMail,
  type Result,
} from '@komrade/protocol';
import { createLogger, type Peer, type PeerClient } from '@komrade/service-runtime';
import { backoffMs, chunkByBytes, deliverBatch, isFanoutMessage } from '../src/forwarder.js';

const PEER: Peer = { name: 'beta', url: 'http://127.0.0.1:1', fingerprint: 'ab'.repeat(32) };

/** A JetStream message double that records how it was settled. */
function msg(data: Uint8Array): JsMsg & { settled: string[] } {
  const settled: string[] = [];
  return {
    data,
    settled,
    ack: () => settled.push('ack'),
    nak: () => settled.push('nak'),
    term: () => settled.push('term'),
  } as unknown as JsMsg & { settled: string[] };
}

function envelope(relay = 'beta'): { bytes: Uint8Array; id: Uint8Array } {
  const s = sealMail({
    to: { relay, id: crypto.getRandomValues(new Uint8Array(16)) },
    mailboxKey: generateKeyPair().publicKey,
    sender: generateKeyPair(),
    kind: ContentKind.Text,
    content: new TextEncoder().encode('x'),
    expiryHour: Math.floor(Date.now() / 3_600_000) + 2,
    timestampMs: Date.now(),
    messageId: crypto.getRandomValues(new Uint8Array(16)),
  });
  assert.ok(s.ok);
  return s.value;
}

/** A peer client double answering with `answer(batch)`. */
function client(answer: (batch: Uint8Array) => Result<Uint8Array>): PeerClient {
  return {
    send: (_p: Peer, _k: number, body: Uint8Array) => Promise.resolve(answer(body)),
  } as unknown as PeerClient;
}

describe('forwarder', () => {
  const log = createLogger('sorter', 'silent');
  before(async () => {
    await initCrypto();
  });

  test('forwarder - batches hold at most 256 envelopes and the byte budget (one oversized alone)', () => {
    const small = Array.from({ length: 600 }, () => ({ data: new Uint8Array(10) }));
    assert.deepEqual(
      chunkByBytes(small, 1_000_000).map((c) => c.length),
      [MAX_BATCH, MAX_BATCH, 600 - 2 * MAX_BATCH],
    );
    const mixed = [100, 100, 5000, 100].map((n) => ({ data: new Uint8Array(n) }));
    assert.deepEqual(
      chunkByBytes(mixed, 300).map((c) => c.map((m) => m.data.length)),
      [[100, 100], [5000], [100]],
    );
  });

  test('forwarder - backoff doubles from the minimum and stays at the cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 10, 100].map((f) => backoffMs(f, 200, 2000)),
      [200, 400, 800, 1600, 2000, 2000],
    );
  });

  test('forwarder - the signed receipt decides: stored is acked, refused is dropped, missing is retried', async () => {
    const [a, b, c] = [envelope(), envelope(), envelope()];
    const msgs = [a, b, c].map((e) => msg(e.bytes));
    const r = await deliverBatch(
      {
        log,
        metrics: undefined,
        client: client((body) => {
          const batch = decodeEnvelopeBatch(body);
          assert.ok(batch.ok);
          assert.equal(batch.value.length, 3);
          return {
            ok: true,
            value: encodeRelayMailReceipt([
              { id: a.id, outcome: ReceiptOutcome.Stored },
              { id: b.id, outcome: ReceiptOutcome.Refused },
            ]),
          };
        }),
      },
      PEER,
      msgs,
    );
    assert.deepEqual(r, { ok: true });
    assert.deepEqual(
      msgs.map((m) => m.settled),
      [['ack'], ['term'], ['nak']],
    );
  });

  test('forwarder - without a valid answer nothing is settled (the caller retries later)', async () => {
    for (const answer of [
      { ok: false as const, code: 'ERR_PEER_UNREACHABLE' as const },
      { ok: false as const, code: 'ERR_PEER_AUTH' as const },
      { ok: true as const, value: new Uint8Array([1, 2, 3]) },
    ]) {
      const msgs = [msg(envelope().bytes)];
      const r = await deliverBatch(
        { log, metrics: undefined, client: client(() => answer) },
        PEER,
        msgs,
      );
      assert.equal(r.ok, false);
      assert.deepEqual(msgs[0]?.settled, []);
    }
  });

  test('forwarder - a message for another relay on this subject is dropped as a bug, never sent', async () => {
    const msgs = [msg(envelope('gamma').bytes), msg(new Uint8Array([9]))];
    let sent = false;
    const r = await deliverBatch(
      {
        log,
        metrics: undefined,
        client: client(() => {
          sent = true;
          return { ok: false, code: 'ERR_PEER_UNREACHABLE' };
        }),
      },
      PEER,
      msgs,
    );
    assert.deepEqual([r.ok, sent], [true, false]);
    assert.deepEqual(
      msgs.map((m) => m.settled),
      [['term'], ['term']],
    );
  });

  test('forwarder - collective posts travel as one FanoutRequest, settled by envelope id; never mixed with mail', async () => {
    const posts = [envelope('alpha'), envelope('alpha')];
    const items = posts.map((e, i) => {
      const d = decodeEnvelope(e.bytes);
      assert.ok(d.ok);
      return i === 0
        ? { kind: FanoutItemKind.Post, envelope: d.value, targets: [] }
        : {
            kind: FanoutItemKind.Delivery,
            envelope: d.value,
            targets: [{ mailboxId: new Uint8Array(16), mailboxKey: generateKeyPair().publicKey }],
          };
    });
    const msgs = items.map((it) => msg(encodeRelayFanout([it])));
    assert.ok(msgs.every(isFanoutMessage));
    assert.ok(!isFanoutMessage({ data: envelope().bytes }));
    const kinds: number[] = [];
    const r = await deliverBatch(
      {
        log,
        metrics: undefined,
        client: {
          send: (_p: Peer, kind: number, body: Uint8Array) => {
            kinds.push(kind);
            const sent = decodeRelayFanout(body);
            assert.ok(sent.ok);
            assert.deepEqual(
              sent.value.map((x) => x.kind),
              [FanoutItemKind.Post, FanoutItemKind.Delivery],
            );
            return Promise.resolve({
              ok: true,
              value: encodeRelayMailReceipt([
                { id: posts[1]?.id ?? new Uint8Array(16), outcome: ReceiptOutcome.Stored },
                { id: posts[0]?.id ?? new Uint8Array(16), outcome: ReceiptOutcome.Refused },
              ]),
            });
          },
        } as unknown as PeerClient,
      },
      PEER,
      msgs,
    );
    assert.equal(r.ok, true);
    assert.deepEqual(kinds, [RelayKind.FanoutRequest]);
    assert.deepEqual(
      msgs.map((m) => m.settled),
      [['term'], ['ack']],
    );
    await assert.rejects(
      deliverBatch(
        { log, metrics: undefined, client: client(() => ({ ok: false, code: 'ERR_PEER_AUTH' })) },
        PEER,
        [msg(envelope().bytes), msg(encodeRelayFanout([items[0] as FanoutItem]))],
      ),
      /mixed outbound batch/,
    );
  });
});
