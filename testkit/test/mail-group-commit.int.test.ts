import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  ContentKind,
  MessageType,
  STREAMS,
  SUBJECTS,
  decodeEnvelope,
  decodeEnvelopeBatch,
  encodeEnvelope,
  encodeEnvelopeBatch,
  generateKeyPair,
  initCrypto,
  KomradeError,
  mintPostage,
  sealMail,
  toHex,
  withPostage,
  type DecodedEnvelope,
} from '@komrade/protocol';
import { JetStreamMailSink } from '@komrade/operator';
import { ensureMailStream } from '@komrade/service-runtime';
import {
  httpTransport,
  KomradeClient,
  newMailbox,
  targetOf,
  type OwnedMailbox,
} from '@komrade/client';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';
import { waitMailDrained } from '../src/store-scan.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A well-formed envelope with random contents (the operator never decrypts). */
function envelope(): DecodedEnvelope {
  const bytes = encodeEnvelope({
    to: { relay: 'test', id: new Uint8Array(randomBytes(16)) },
    expiryHour: Math.floor(Date.now() / 3_600_000) + 1,
    postage: new Uint8Array(8),
    ephemeralKey: new Uint8Array(45),
    ciphertext: new Uint8Array(randomBytes(1076)),
  });
  const d = decodeEnvelope(bytes);
  assert.ok(d.ok);
  return d.value;
}

/** Every message in the mail stream: its bytes and JetStream message id. */
async function streamMessages(
  jsm: JetStreamManager,
): Promise<{ data: Uint8Array; msgId: string | undefined }[]> {
  const info = await jsm.streams.info(STREAMS.mail.name);
  const out: { data: Uint8Array; msgId: string | undefined }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.mail.name, { seq }).catch(() => null);
    if (m) out.push({ data: m.data, msgId: m.header.get('Nats-Msg-Id') || undefined });
  }
  return out;
}

/** The envelope ids of a stream message, whether it holds one Envelope or a batch. */
function idsIn(data: Uint8Array): string[] {
  if (data[3] === MessageType.EnvelopeBatch) {
    const b = decodeEnvelopeBatch(data);
    assert.ok(b.ok);
    return b.value.map((e) => toHex(e.id));
  }
  const e = decodeEnvelope(data);
  assert.ok(e.ok);
  return [toHex(e.value.id)];
}

describe('operator group commit: concurrent requests share JetStream messages (real nats-server)', () => {
  let nats: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });
  beforeEach(async () => {
    await jsm.streams.delete(STREAMS.mail.name).catch(() => undefined);
    await ensureMailStream(nc, {
      maxAgeSec: 3600,
      replicas: 1,
      maxBytes: 64 * 1024 * 1024,
      duplicateWindowSec: 120,
    });
  });

  test('group commit - an idle operator publishes a lone envelope at once, as itself, with its id as message id', async () => {
    const sink = new JetStreamMailSink(nc, 5000, { maxEnvelopes: 256, maxBytes: 512 * 1024 });
    const e = envelope();
    await sink.publish([e]);
    const msgs = await streamMessages(jsm);
    assert.equal(msgs.length, 1);
    assert.deepEqual(msgs[0]?.data, e.bytes);
    assert.equal(msgs[0]?.msgId, toHex(e.id));
  });

  test('group commit - requests arriving together leave as batches within the limits, and each is answered after its ack', async () => {
    const maxEnvelopes = 8;
    // room for three 1,164-byte envelopes, not four
    const maxBytes = 6 + 3 * (4 + 1164);
    const sink = new JetStreamMailSink(nc, 5000, { maxEnvelopes, maxBytes });
    const requests = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: i % 5 === 0 ? 3 : 1 }, envelope),
    );
    const settled: number[] = [];
    await Promise.all(requests.map((r, i) => sink.publish(r).then(() => settled.push(i))));
    assert.equal(settled.length, requests.length);

    const msgs = await streamMessages(jsm);
    const ids = msgs.flatMap((m) => idsIn(m.data));
    const sent = requests.flat().map((e) => toHex(e.id));
    assert.deepEqual([...ids].sort(), [...sent].sort(), 'every envelope exactly once');
    assert.ok(msgs.length < requests.length, `${String(msgs.length)} messages for 40 requests`);
    for (const m of msgs) {
      const n = idsIn(m.data).length;
      assert.ok(
        n <= 3 && m.data.length <= maxBytes,
        `${String(n)} envelopes, ${String(m.data.length)} bytes`,
      );
      // only a message of one envelope carries a JetStream message id
      assert.equal(m.msgId, n === 1 ? idsIn(m.data)[0] : undefined);
    }
    // the first request found the sink idle: it went alone, first
    assert.deepEqual(
      idsIn(msgs[0]?.data ?? new Uint8Array()),
      requests[0]?.map((e) => toHex(e.id)),
    );
  });

  test('group commit - one envelope per message when grouping is off (KOMRADE_MAIL_GROUP_MAX_ENVELOPES=1)', async () => {
    const sink = new JetStreamMailSink(nc, 5000, { maxEnvelopes: 1, maxBytes: 512 * 1024 });
    const envs = Array.from({ length: 20 }, envelope);
    await Promise.all(envs.map((e) => sink.publish([e])));
    const msgs = await streamMessages(jsm);
    assert.equal(msgs.length, 20);
    for (const m of msgs) assert.equal(m.data[3], MessageType.Envelope);
  });

  test('group commit - when JetStream refuses a batch, every request in it fails with a service error', async () => {
    const sink = new JetStreamMailSink(nc, 2000, { maxEnvelopes: 256, maxBytes: 512 * 1024 });
    await jsm.streams.delete(STREAMS.mail.name);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => sink.publish([envelope()])),
    );
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof KomradeError);
      assert.match(r.reason.code, /^ERR_SERVICE_(UNAVAILABLE|TIMEOUT)$/);
    }
  });
});

describe('sorter: group-committed batches (real nats-server and redis-server)', () => {
  let nats: RunningServer;
  let redis: RunningServer;
  let relay: TestRelay;
  let client: KomradeClient;
  const QUOTA = 3;

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({
      natsUrl: nats.url,
      redisUrl: redis.url,
      env: { KOMRADE_MAILBOX_QUOTA: String(QUOTA), KOMRADE_QUOTA_RETRY_MS: '200' },
    });
    client = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
  });
  after(async () => {
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  const alice = () => generateKeyPair();

  async function mailbox(): Promise<OwnedMailbox> {
    const m = newMailbox('test');
    await client.createMailbox(m);
    return m;
  }

  /** A sealed, stamped envelope as a client would post it. */
  function sealed(to: OwnedMailbox, text: string, sender = alice()): DecodedEnvelope {
    const r = sealMail({
      to: to.address,
      mailboxKey: to.keys.publicKey,
      sender,
      kind: ContentKind.Text,
      content: enc.encode(text),
      expiryHour: Math.floor(Date.now() / 3_600_000) + 24,
      timestampMs: Date.now(),
      messageId: new Uint8Array(randomBytes(16)),
    });
    assert.ok(r.ok);
    const bytes = withPostage(r.value.bytes, r.value.relayLength, mintPostage(r.value.id, 2));
    const d = decodeEnvelope(bytes);
    assert.ok(d.ok);
    return d.value;
  }

  /** What the operator's group commit publishes, published here directly (and repeatably). */
  async function publishBatch(envs: readonly DecodedEnvelope[]): Promise<void> {
    const c = await connect({ servers: nats.url });
    try {
      await jetstream(c).publish(
        SUBJECTS.mailInbound,
        encodeEnvelopeBatch(envs.map((e) => e.bytes)),
      );
    } finally {
      await c.close();
    }
  }

  async function texts(box: OwnedMailbox): Promise<string[]> {
    const r = await client.receive(box);
    assert.deepEqual(r.rejected, []);
    return r.messages.map((m) => dec.decode(m.opened.body.content)).sort();
  }

  test('group commit - a batch is split into its mailboxes in order, and a redelivered batch stores nothing twice', async () => {
    const [a, b] = [await mailbox(), await mailbox()];
    const envs = [sealed(a, 'a1'), sealed(b, 'b1'), sealed(a, 'a2'), sealed(b, 'b2')];
    await publishBatch(envs);
    // JetStream redelivers a batch whose sorter died before its ack: here, the same bytes again
    await publishBatch(envs);
    await waitMailDrained(nats.url);
    const page = await client.fetchPage(a);
    // fetch order is arrival order, also within one batch
    assert.deepEqual(
      page.envelopes.map((e) => toHex(e.id)),
      [envs[0], envs[2]].map((e) => toHex(e?.id ?? new Uint8Array())),
    );
    assert.deepEqual(await texts(a), ['a1', 'a2']);
    assert.deepEqual(await texts(b), ['b1', 'b2']);
    // fetched and acked: a third, late copy of the batch leaves nothing behind
    await publishBatch(envs);
    await waitMailDrained(nats.url);
    assert.deepEqual(await texts(a), []);
    assert.deepEqual(await texts(b), []);
  });

  test('group commit - an envelope for a full mailbox waits alone in JetStream and the rest of its batch is stored', async () => {
    const [full, other] = [await mailbox(), await mailbox()];
    const sender = alice();
    await client.send(
      sender,
      ['f1', 'f2', 'f3'].map((t) => ({
        to: targetOf(full),
        kind: ContentKind.Text,
        content: enc.encode(t),
      })),
    );
    await waitMailDrained(nats.url);
    const late = sealed(full, 'f4');
    const batch = [sealed(other, 'o1'), late, sealed(other, 'o2')];
    // twice, as a redelivery would: the waiting copy is still kept once (message id)
    await publishBatch(batch);
    await publishBatch(batch);
    const c = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(c);
      for (let i = 0; ; i++) {
        const msgs = await streamMessages(jsm);
        const waiting = msgs.flatMap((m) => idsIn(m.data));
        if (waiting.length === 1 && msgs[0]?.data[3] === MessageType.Envelope) {
          assert.deepEqual(waiting, [toHex(late.id)]);
          assert.equal(msgs[0]?.msgId, toHex(late.id));
          break;
        }
        assert.ok(i < 300, `stream still holds ${String(waiting.length)} envelopes`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await c.close();
    }
    assert.deepEqual(await texts(other), ['o1', 'o2']);
    // the owner reads the full mailbox; the waiting envelope then gets in, once
    assert.deepEqual(await texts(full), ['f1', 'f2', 'f3']);
    await waitMailDrained(nats.url);
    assert.deepEqual(await texts(full), ['f4']);
  });

  test('group commit - a batch the sorter cannot read is dropped, and the next one is filed', async () => {
    const box = await mailbox();
    const good = encodeEnvelopeBatch([sealed(box, 'after')].map((e) => e.bytes));
    // a batch whose one envelope is cut short: readable header, unreadable contents
    const bad = encodeEnvelopeBatch([sealed(box, 'cut').bytes.subarray(0, 100)]);
    const c = await connect({ servers: nats.url });
    try {
      await jetstream(c).publish(SUBJECTS.mailInbound, bad);
      await jetstream(c).publish(SUBJECTS.mailInbound, good);
    } finally {
      await c.close();
    }
    await waitMailDrained(nats.url);
    assert.deepEqual(await texts(box), ['after']);
    assert.ok(relay.logs.text().includes('dropped an undecodable batch'));
  });

  test('group commit - concurrent posts through the operator each arrive exactly once', async () => {
    const boxes = [await mailbox(), await mailbox()];
    const sender = alice();
    const posts = Array.from({ length: 60 }, (_, i) => ({
      box: boxes[i % 2] as OwnedMailbox,
      text: `m${String(i).padStart(2, '0')}`,
    }));
    const http = httpTransport({ baseUrl: relay.operatorUrl });
    await Promise.all(posts.map((p) => http.post('/v1/mail', sealed(p.box, p.text, sender).bytes)));
    // quota 3: read in rounds; what waits in JetStream comes in as room is made
    for (const [i, box] of boxes.entries()) {
      const got: string[] = [];
      for (let round = 0; round < 600 && got.length < 30; round++) {
        got.push(...(await texts(box)));
        if (got.length < 30) await new Promise((r) => setTimeout(r, 100));
      }
      const want = posts.filter((_, j) => j % 2 === i).map((p) => p.text);
      assert.deepEqual(got.sort(), want.sort());
    }
  });
});
