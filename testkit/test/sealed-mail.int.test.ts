import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  ContentKind,
  SUBJECTS,
  decodeEnvelope,
  encodeEnvelope,
  envelopeIdOf,
  generateKeyPair,
  initCrypto,
  KomradeError,
  mintPostage,
  sealMail,
  toHex,
  withPostage,
  type KeyPair,
} from '@komrade/protocol';
import {
  httpTransport,
  KomradeClient,
  newMailbox,
  randomBytes,
  senderIn,
  targetOf,
  type OwnedMailbox,
} from '@komrade/client';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis } from '../src/servers.js';
import {
  dumpContains,
  dumpRedis,
  mailStreamLeftovers,
  waitMailDrained,
} from '../src/store-scan.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('sealed mail end to end (real nats-server and redis-server)', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let relay: TestRelay;
  let client: KomradeClient;
  const identifiers: Uint8Array[] = [];

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({ natsUrl: nats.url, redisUrl: redis.url });
    client = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
  });

  after(async () => {
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  async function mailbox(c: KomradeClient = client): Promise<OwnedMailbox> {
    const m = newMailbox('test');
    await c.createMailbox(m);
    identifiers.push(m.address.id);
    return m;
  }

  test('two clients exchange 1,000 messages: each arrives once, decrypts, and leaves no trace after ack', async () => {
    const alice = { id: generateKeyPair(), box: await mailbox() };
    const bobClient = new KomradeClient({
      transport: httpTransport({ baseUrl: relay.operatorUrl }),
    });
    const bob = { id: generateKeyPair(), box: await mailbox(bobClient) };
    const texts = (from: string) =>
      Array.from({ length: 500 }, (_, i) => `${from} #${i} ${toHex(randomBytes(8))}`);
    const toBob = texts('alice');
    const toAlice = texts('bob');
    const idsToBob = await client.send(
      alice.id,
      toBob.map((t) => ({ to: targetOf(bob.box), kind: ContentKind.Text, content: enc.encode(t) })),
    );
    const idsToAlice = await bobClient.send(
      bob.id,
      toAlice.map((t) => ({
        to: targetOf(alice.box),
        kind: ContentKind.Text,
        content: enc.encode(t),
      })),
    );
    identifiers.push(...idsToBob, ...idsToAlice);
    await waitMailDrained(nats.url);

    const atBob = await bobClient.receive(bob.box, {
      acceptSender: senderIn([alice.id.publicKey]),
    });
    const atAlice = await client.receive(alice.box, { acceptSender: senderIn([bob.id.publicKey]) });
    assert.deepEqual(atBob.rejected, []);
    assert.deepEqual(atAlice.rejected, []);
    assert.deepEqual(
      atBob.messages.map((m) => dec.decode(m.opened.body.content)).sort(),
      [...toBob].sort(),
    );
    assert.deepEqual(
      atAlice.messages.map((m) => dec.decode(m.opened.body.content)).sort(),
      [...toAlice].sort(),
    );
    // nothing more waiting: each message arrived exactly once
    assert.equal((await bobClient.receive(bob.box)).messages.length, 0);

    // After the acks: no envelope id and no ciphertext anywhere in Redis or in JetStream.
    const ciphertextSamples = atBob.messages.slice(0, 50).map((m) => m.envelopeId);
    const dump = await dumpRedis(redis.url);
    assert.equal(
      dumpContains(dump, [...idsToBob, ...idsToAlice]),
      false,
      'an envelope id is still in Redis',
    );
    assert.equal(dumpContains(dump, ciphertextSamples), false);
    assert.deepEqual(
      dump.map((d) => d.key).filter((k) => /:(msg|seq|exp)$/.test(k)),
      [],
      'mail keys remain',
    );
    const js = await mailStreamLeftovers(nats.url);
    assert.equal(js.messages, 0);
    assert.equal(js.readable.length, 0, 'a message can still be read from the stream');
  });

  test('the stream and Redis hold no ciphertext after ack (checked against the sent bytes)', async () => {
    const bob = await mailbox();
    const alice = generateKeyPair();
    const sealed = sealFor(bob, alice, 'keep nothing');
    const stamped = withPostage(sealed.bytes, sealed.relayLength, mintPostage(sealed.id, 2));
    await httpTransport({ baseUrl: relay.operatorUrl }).post('/v1/mail', stamped);
    await waitMailDrained(nats.url);
    const before = await dumpRedis(redis.url);
    const ct = decodeEnvelope(stamped);
    assert.ok(ct.ok);
    const chunk = ct.value.ciphertext.subarray(100, 164);
    assert.equal(dumpContains(before, [chunk]), true, 'the mail should be in Redis before the ack');
    const got = await client.receive(bob);
    assert.equal(got.messages.length, 1);
    assert.equal(dumpContains(await dumpRedis(redis.url), [chunk, sealed.id]), false);
    assert.equal(
      (await mailStreamLeftovers(nats.url)).readable.some(
        (b) => Buffer.from(b).indexOf(chunk) >= 0,
      ),
      false,
    );
  });

  function sealFor(
    to: OwnedMailbox,
    sender: KeyPair,
    text: string,
    opts: { timestampMs?: number; expiryHour?: number } = {},
  ) {
    const r = sealMail({
      to: to.address,
      mailboxKey: to.keys.publicKey,
      sender,
      kind: ContentKind.Text,
      content: enc.encode(text),
      expiryHour: opts.expiryHour ?? Math.floor(Date.now() / 3_600_000) + 24,
      timestampMs: opts.timestampMs ?? Date.now(),
      messageId: randomBytes(16),
    });
    assert.ok(r.ok);
    return r.value;
  }

  async function post(bytes: Uint8Array, relayLength: number): Promise<void> {
    const id = envelopeIdOf(bytes, relayLength);
    identifiers.push(id);
    await httpTransport({ baseUrl: relay.operatorUrl }).post(
      '/v1/mail',
      withPostage(bytes, relayLength, mintPostage(id, 2)),
    );
  }

  test('the recipient rejects tampered ciphertext, a wrong sender, a replay and a stale timestamp with typed errors', async () => {
    const bob = await mailbox();
    const alice = generateKeyPair();
    const mallory = generateKeyPair();

    // tampered: flip one ciphertext byte (a new id, so it is not a server-side duplicate)
    const good = sealFor(bob, alice, 'original');
    const tampered = good.bytes.slice();
    tampered[tampered.length - 40] = (tampered[tampered.length - 40] as number) ^ 0x01;
    await post(tampered, good.relayLength);

    // wrong inner sender: mallory writes to a mailbox that expects alice
    const forged = sealFor(bob, mallory, 'from mallory');
    await post(forged.bytes, forged.relayLength);

    // replay: the same sealed content re-enveloped with another expiry (new envelope id)
    const original = sealFor(bob, alice, 'say it once');
    await post(original.bytes, original.relayLength);
    const d = decodeEnvelope(original.bytes);
    assert.ok(d.ok);
    const replayed = encodeEnvelope({ ...d.value, expiryHour: d.value.expiryHour + 1 });
    await post(replayed, original.relayLength);

    // stale: signed nine days ago
    const stale = sealFor(bob, alice, 'old news', { timestampMs: Date.now() - 9 * 86_400_000 });
    await post(stale.bytes, stale.relayLength);

    await waitMailDrained(nats.url);
    const got = await client.receive(bob, { acceptSender: senderIn([alice.publicKey]) });
    assert.deepEqual(
      got.messages.map((m) => dec.decode(m.opened.body.content)),
      ['say it once'],
    );
    assert.deepEqual(
      got.rejected.map((r) => r.code).sort(),
      ['ERR_CRYPTO_DECRYPT', 'ERR_SEAL_REPLAY', 'ERR_SEAL_STALE', 'ERR_SEAL_WRONG_SENDER'].sort(),
    );
    // rejected mail is deleted too
    assert.equal((await client.fetchPage(bob)).envelopes.length, 0);
  });

  test('the operator answers a known and an unknown mailbox the same way when mail is posted', async () => {
    const known = await mailbox();
    const unknown = newMailbox('test');
    const alice = generateKeyPair();
    const t = httpTransport({ baseUrl: relay.operatorUrl });
    const answers = [];
    for (const to of [known, unknown]) {
      const s = sealFor(to, alice, 'hello');
      identifiers.push(s.id);
      const r = await t.post('/v1/mail', withPostage(s.bytes, s.relayLength, mintPostage(s.id, 2)));
      answers.push({ status: r.status, length: r.body.length });
    }
    assert.deepEqual(answers[0], answers[1]);
  });

  test('mail posted before its mailbox exists waits for it; a taken id with another key is refused', async () => {
    const late = newMailbox('test');
    identifiers.push(late.address.id);
    const alice = generateKeyPair();
    const s = sealFor(late, alice, 'early bird');
    await post(s.bytes, s.relayLength);
    await waitMailDrained(nats.url);
    await client.createMailbox(late);
    const got = await client.receive(late);
    assert.deepEqual(
      got.messages.map((m) => dec.decode(m.opened.body.content)),
      ['early bird'],
    );
    const thief = { address: late.address, keys: generateKeyPair() };
    await assert.rejects(
      client.createMailbox(thief),
      (e: unknown) => e instanceof KomradeError && e.code === 'ERR_MAILBOX_CONFLICT',
    );
  });

  test('a mailbox over its quota keeps the extra mail in JetStream until there is room', async () => {
    // a relay of its own: its sorter has a quota of 3 and retries full mailboxes quickly
    const n2 = await startNats();
    const r2 = await startRedis();
    const small = await startRelay({
      natsUrl: n2.url,
      redisUrl: r2.url,
      env: { KOMRADE_MAILBOX_QUOTA: '3', KOMRADE_QUOTA_RETRY_MS: '300' },
    });
    try {
      const c = new KomradeClient({ transport: httpTransport({ baseUrl: small.operatorUrl }) });
      const box = newMailbox('test');
      await c.createMailbox(box);
      const alice = generateKeyPair();
      const texts = ['one', 'two', 'three', 'four', 'five'];
      await c.send(
        alice,
        texts.map((t) => ({ to: targetOf(box), kind: ContentKind.Text, content: enc.encode(t) })),
      );
      // wait until the sorter has filled the mailbox
      let first: Awaited<ReturnType<KomradeClient['fetchPage']>> | undefined;
      for (let i = 0; i < 100; i++) {
        first = await c.fetchPage(box);
        if (first.envelopes.length === 3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(first?.envelopes.length, 3, 'the mailbox holds exactly its quota');
      const got = await c.receive(box);
      await waitMailDrained(n2.url);
      const rest = await c.receive(box);
      assert.deepEqual(
        [...got.messages, ...rest.messages].map((m) => dec.decode(m.opened.body.content)).sort(),
        [...texts].sort(),
      );
      assert.ok((small.sorter?.counts['over-quota'] ?? 0) > 0, 'the sorter saw the mailbox full');
    } finally {
      await small.stop();
      await r2.stop();
      await n2.stop();
    }
  });

  test('unfetched mail expires: the sweep removes it from Redis once its lifetime is over', async () => {
    // a second relay sharing the servers, whose purge clock can jump ahead
    let skewMs = 0;
    const later = await startRelay({
      natsUrl: nats.url,
      redisUrl: redis.url,
      services: ['purge'],
      now: () => Date.now() + skewMs,
    });
    try {
      const box = await mailbox();
      const alice = generateKeyPair();
      const [id] = await client.send(alice, [
        {
          to: targetOf(box),
          kind: ContentKind.Text,
          content: enc.encode('ephemeral'),
          ttlSec: 2 * 3600,
        },
      ]);
      assert.ok(id);
      await waitMailDrained(nats.url);
      assert.equal(dumpContains(await dumpRedis(redis.url), [id]), true, 'stored before expiry');
      assert.equal(await later.purge?.sweepNow(), 0, 'nothing is due yet');
      skewMs = 3 * 3_600_000;
      assert.equal(await later.purge?.sweepNow(), 1);
      const dump = await dumpRedis(redis.url);
      assert.equal(dumpContains(dump, [id]), false);
      assert.equal(
        dump.some(
          (d) =>
            d.key.includes(Buffer.from(box.address.id).toString('hex')) &&
            /:(msg|seq|exp)$/.test(d.key),
        ),
        false,
      );
    } finally {
      await later.stop();
    }
  });

  test('a late redelivery of mail already fetched and acked is dropped, and only a hash of its id stays a while', async () => {
    const box = await mailbox();
    const alice = generateKeyPair();
    const sealed = sealFor(box, alice, 'once only');
    const stamped = withPostage(sealed.bytes, sealed.relayLength, mintPostage(sealed.id, 2));
    await httpTransport({ baseUrl: relay.operatorUrl }).post('/v1/mail', stamped);
    await waitMailDrained(nats.url);
    assert.equal((await client.receive(box)).messages.length, 1);
    // what JetStream does after a sorter died between its Redis write and its ack
    const nc = await connect({ servers: nats.url });
    try {
      await jetstream(nc).publish(SUBJECTS.mailInbound, stamped, {
        msgID: 'redelivery-of-the-same-envelope',
      });
    } finally {
      await nc.close();
    }
    await waitMailDrained(nats.url);
    assert.equal((await client.fetchPage(box)).envelopes.length, 0, 'delivered twice');
    assert.equal(
      dumpContains(await dumpRedis(redis.url), [sealed.id]),
      false,
      'the raw id is kept',
    );
  });

  test('no log line of the whole run contains a mailbox id, envelope id or ciphertext', () => {
    const text = relay.logs.text();
    assert.ok(relay.logs.lines.length > 0);
    for (const id of identifiers) {
      assert.equal(text.includes(toHex(id)), false, 'hex id in logs');
      assert.equal(text.includes(Buffer.from(id).toString('base64')), false, 'base64 id in logs');
    }
  });
});
