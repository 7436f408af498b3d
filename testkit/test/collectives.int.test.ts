/**
 * Collectives, vouching and posts against real nats-server and redis-server (issue 5):
 * @portland admits komrades one by one as their vouches reach a quorum that rises with the
 * size, with exact counts, while no API answer, log line, JetStream KV entry or Redis key
 * reveals who vouched; double, non-member and replayed vouches are refused with typed
 * errors; one post reaches each of 1,000 members' mailboxes exactly once; a world post is
 * gone from every store after its lifetime; the feed shows world, friends and collective
 * posts with checked authors.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CollectiveOutcome,
  ContentKind,
  collectiveRequestIdOf,
  decodeCollectiveRecord,
  decodeCollectiveRequest,
  decodeCollectiveResult,
  decodeCollectiveView,
  encodeCollectiveRecord,
  encodeCollectiveRequest,
  encodeCollectiveView,
  generateKeyPair,
  initCrypto,
  KomradeError,
  KV_BUCKETS,
  mailboxKeys,
  MessageType,
  mintPostage,
  openCollectiveRequest,
  parsePolicy,
  signCollectiveAction,
  toHex,
  worldDayOf,
  type CollectiveAction,
  type CollectiveResult,
  type ErrorCode,
  type KeyPair,
} from '@komrade/protocol';
import {
  Feed,
  httpTransport,
  Komrade,
  KomradeClient,
  newAccount,
  newMailbox,
  postContent,
  type OwnedMailbox,
  type Transport,
} from '@komrade/client';
import { createLogger } from '@komrade/service-runtime';
import { start as startVouch, vouchConfig } from '@komrade/vouch';
import { Redis } from 'ioredis';
import { dumpKv } from '../src/kv-scan.js';
import { identifierForms } from '../src/privacy-scan.js';
import { startRelay, TEST_VOUCH_SECRET, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';
import {
  dumpContains,
  dumpRedis,
  mailStreamLeftovers,
  waitMailDrained,
} from '../src/store-scan.js';

interface Call {
  readonly path: string;
  readonly body: Uint8Array;
  answer?: Uint8Array;
}

/** A transport that records every request and answer (to scan them, and to replay one). */
function recording(base: Transport): { transport: Transport; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    transport: {
      async post(path, body) {
        const call: Call = { path, body: body.slice() };
        calls.push(call);
        const r = await base.post(path, body);
        call.answer = r.body.slice();
        return r;
      },
      getJson: (path) => base.getJson(path),
    },
  };
}

interface Member {
  readonly name: string;
  readonly k: Komrade;
  readonly feed: Feed;
  readonly calls: Call[];
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof KomradeError) return e.code;
    throw e;
  }
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('collectives, vouching and posts (real nats-server and redis-server)', () => {
  let nats: RunningServer;
  let redis: RunningServer;
  let relay: TestRelay;
  const everyone: Member[] = [];

  async function komrade(name: string): Promise<Member> {
    const rec = recording(httpTransport({ baseUrl: relay.operatorUrl }));
    const client = new KomradeClient({ transport: rec.transport });
    const k = new Komrade({
      client,
      account: newAccount('test', Date.now()),
      persist: () => Promise.resolve(),
    });
    await k.register(name);
    const m = {
      name,
      k,
      feed: new Feed({ komrade: k, persist: () => Promise.resolve() }),
      calls: rec.calls,
    };
    everyone.push(m);
    return m;
  }

  /** A signed collective request built by hand (to hold one back, or replay one). */
  function rawRequest(who: KeyPair, collective: string, act: object): Uint8Array {
    const s = signCollectiveAction(who, {
      relay: 'test',
      collective,
      timestampMs: Date.now(),
      nonce: crypto.getRandomValues(new Uint8Array(16)),
      ...act,
    } as CollectiveAction);
    assert.ok(s.ok);
    const postage = mintPostage(collectiveRequestIdOf(s.value), 8);
    return encodeCollectiveRequest({ ...s.value, postage });
  }

  async function postRaw(body: Uint8Array): Promise<CollectiveResult> {
    const res = await httpTransport({ baseUrl: relay.operatorUrl }).post('/v1/collectives', body);
    const r = decodeCollectiveResult(res.body);
    assert.ok(r.ok);
    return r.value;
  }

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({
      natsUrl: nats.url,
      redisUrl: redis.url,
      // members join and leave the fan-out at once in these tests
      env: { KOMRADE_FANOUT_CACHE_MS: '0', KOMRADE_REQUEST_TIMEOUT_MS: '20000' },
    });
  });

  after(async () => {
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  test('collectives - @portland admits komrades one by one at quorum(n), the quorum rises with n, counts are exact, and nothing reveals who vouched', async () => {
    const policy = parsePolicy('steps:3=1,n/3+1');
    assert.ok(policy);
    const founder = await komrade('rosa');
    const created = await founder.feed.collectives.create('Portland', policy);
    assert.equal(created.outcome, CollectiveOutcome.Created);
    const members: Member[] = [founder];
    const seen: [number, number][] = [];
    const received = new Map<string, number>();
    for (let i = 0; i < 8; i++) {
      const cand = await komrade(`komrade_${i}`);
      const joined = await cand.feed.collectives.join('@portland');
      assert.equal(joined.outcome, CollectiveOutcome.Candidate);
      const q = joined.quorum;
      seen.push([members.length, q]);
      // the q most recent members vouch, one at a time
      const vouchers = members.slice(-q);
      for (const [j, v] of vouchers.entries()) {
        const r = await v.feed.collectives.vouch('portland', cand.name);
        assert.equal(r.vouches, j + 1);
        assert.equal(r.quorum, j + 1 < q ? q : r.quorum);
        const view = await founder.feed.collectives.show('portland');
        if (j + 1 < q) {
          assert.equal(r.outcome, CollectiveOutcome.Counted);
          assert.equal(
            view.candidates.find((c) => same(c.identityKey, cand.k.account.identity.publicKey))
              ?.vouches,
            j + 1,
          );
        } else {
          assert.equal(r.outcome, CollectiveOutcome.Admitted);
          assert.equal(view.members.length, members.length + 1);
        }
        assert.equal(
          await founder.feed.collectives.vouchCount(cand.k.account.identity.publicKey),
          j + 1,
        );
      }
      received.set(cand.name, q);
      // the admitting voucher sealed the group key to the new member's collective mailbox
      const sync = await cand.feed.collectives.sync();
      assert.deepEqual(sync.keys, ['portland']);
      const mine = cand.feed.collectives.membership('portland');
      assert.equal(mine?.state, 'member');
      assert.ok(mine.groupKey && founder.k.account.collectives[0]?.groupKey);
      assert.ok(
        same(mine.groupKey.privateKey, founder.k.account.collectives[0].groupKey.privateKey),
      );
      assert.ok(mine.fanout && same(mine.fanout.id, created.fanoutId ?? new Uint8Array()));
      members.push(cand);
    }
    // n = 1..8 members when each candidate joined: 1 up to 3, then ceil(n/3)+1
    assert.deepEqual(seen, [
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 3],
      [5, 3],
      [6, 3],
      [7, 4],
      [8, 4],
    ]);
    const view = await founder.feed.collectives.show('portland');
    assert.equal(view.members.length, 9);
    assert.equal(view.quorum, 4);
    for (const m of members.slice(1))
      assert.equal(
        view.members.find((e) => same(e.identityKey, m.k.account.identity.publicKey))?.vouches,
        received.get(m.name),
      );

    // one candidacy stays open with 2 of 4 vouches, so its keyed tokens are stored now
    const pending = await komrade('pending_one');
    await pending.feed.collectives.join('portland');
    for (const v of [members[3], members[5]] as Member[])
      await v.feed.collectives.vouch('portland', pending.name);
    assert.equal(
      await founder.feed.collectives.vouchCount(pending.k.account.identity.publicKey),
      2,
    );

    // --- who vouched? every signed vouch, its voucher, nonce and signature ---------------
    const vouches: {
      voucher: Uint8Array;
      candidate: Uint8Array;
      epoch: number;
      nonce: Uint8Array;
      signed: Uint8Array;
    }[] = [];
    for (const m of everyone)
      for (const c of m.calls.filter((x) => x.path === '/v1/collectives')) {
        const req = decodeCollectiveRequest(c.body);
        assert.ok(req.ok);
        const a = openCollectiveRequest(req.value);
        assert.ok(a.ok);
        if (a.value.type === MessageType.CollectiveVouch)
          vouches.push({
            voucher: req.value.identityKey,
            candidate: a.value.candidateKey,
            epoch: a.value.candidacyEpoch,
            nonce: a.value.nonce,
            signed: req.value.signed,
          });
      }
    assert.equal(vouches.length, 1 + 1 + 1 + 3 + 3 + 3 + 4 + 4 + 2);
    const voucherKeys = [...new Map(vouches.map((v) => [toHex(v.voucher), v.voucher])).values()];
    assert.ok(voucherKeys.length >= 6);
    // per-voucher data: the key, each nonce, a slice of each signature, and unkeyed hashes
    const perVoucher: Uint8Array[] = [
      ...voucherKeys,
      ...vouches.map((v) => v.nonce),
      ...vouches.map((v) => v.signed.subarray(v.signed.length - 32)),
      ...vouches.map((v) =>
        createHash('sha256')
          .update('portland')
          .update(v.voucher)
          .update(v.candidate)
          .digest()
          .subarray(0, 16),
      ),
      ...vouches.map((v) => createHash('sha256').update(v.nonce).digest().subarray(0, 16)),
    ];
    const textForms = (ids: readonly Uint8Array[]): string[] =>
      ids.flatMap((x) => identifierForms(x));
    const inText = (text: string, ids: readonly Uint8Array[]): string[] =>
      textForms(ids).filter((f) => text.includes(f));
    const inBytes = (hay: Uint8Array, ids: readonly Uint8Array[]): boolean =>
      ids.some((x) => Buffer.from(hay).indexOf(Buffer.from(x)) >= 0) ||
      inText(Buffer.from(hay).toString('latin1'), ids).length > 0;

    // API answers: results and counts name nobody; a view names members (public) and
    // candidates, and beyond that carries nothing about any voucher
    for (const m of everyone)
      for (const c of m.calls) {
        if (!c.answer) continue;
        if (c.path === '/v1/collectives' || c.path === '/v1/vouches/count')
          assert.ok(!inBytes(c.answer, perVoucher), `${c.path} answer`);
        if (c.path === '/v1/collectives/show') {
          const v = decodeCollectiveView(c.answer);
          assert.ok(v.ok);
          const zero = new Uint8Array(45);
          const stripped = encodeCollectiveView({
            ...v.value,
            founderKey: zero,
            members: v.value.members.map((e) => ({ ...e, identityKey: zero })),
            candidates: v.value.candidates.map((e) => ({ ...e, identityKey: zero })),
          });
          assert.ok(!inBytes(stripped, perVoucher), 'view beyond its members and candidates');
          for (const cand of v.value.candidates)
            assert.deepEqual(Object.keys(cand).sort(), ['epoch', 'identityKey', 'vouches']);
        }
      }

    // logs of every service
    assert.deepEqual(inText(relay.logs.text(), perVoucher), [], 'logs');

    // JetStream KV: every key of both buckets
    const kv = await dumpKv(nats.url, KV_BUCKETS.collectives);
    const nonces = await dumpKv(nats.url, KV_BUCKETS.collectiveNonces);
    assert.ok(kv.length > 0 && nonces.length >= vouches.length);
    const vouchees = new Set(
      [...received.keys(), pending.name].map((n) =>
        toHex(everyone.find((m) => m.name === n)?.k.account.identity.publicKey ?? new Uint8Array()),
      ),
    );
    for (const { key, value } of [...kv, ...nonces]) {
      let bytes = value;
      if (key.startsWith('c.')) {
        // a record names its members and candidates (public); strip them and look at the rest
        const r = decodeCollectiveRecord(value);
        assert.ok(r.ok, key);
        const zero = new Uint8Array(45);
        bytes = encodeCollectiveRecord({
          ...r.value,
          founderKey: zero,
          members: r.value.members.map((e) => ({ ...e, identityKey: zero })),
          candidates: r.value.candidates.map((e) => ({ ...e, identityKey: zero })),
        });
      }
      assert.ok(!inBytes(bytes, perVoucher), `value of ${key}`);
      if (key.startsWith('k.')) {
        // a count names the komrade who received the vouches (public), never a voucher
        assert.ok(vouchees.has(key.slice(2)), key);
        continue;
      }
      assert.deepEqual(inText(key, perVoucher), [], `key ${key}`);
    }
    // the open candidacy's token set holds exactly the two keyed tokens
    const pendingEpoch = (await founder.feed.collectives.show('portland')).candidates[0]?.epoch;
    const set = kv.find((e) => e.key === `t.portland.c${pendingEpoch}`)?.value;
    assert.ok(set && set.length === 32);
    const token = (v: Member): Buffer =>
      createHmac('sha256', Buffer.from(TEST_VOUCH_SECRET, 'hex'))
        .update('KM-VOUCH-1')
        .update(Uint8Array.of(8))
        .update('portland')
        .update(v.k.account.identity.publicKey)
        .update(pending.k.account.identity.publicKey)
        .update(Uint8Array.of(0, 0, 0, pendingEpoch ?? 0))
        .digest()
        .subarray(0, 16);
    const tokens = [token(members[3] as Member), token(members[5] as Member)].sort((a, b) =>
      Buffer.compare(a, b),
    );
    assert.deepEqual(Buffer.from(set), Buffer.concat(tokens));
    // every other token set was purged at its admission
    assert.deepEqual(
      kv.filter((e) => e.key.startsWith('t.')).map((e) => e.key),
      [`t.portland.c${pendingEpoch}`],
    );

    // Redis holds nothing of any vouch
    const dump = await dumpRedis(redis.url);
    assert.ok(!dumpContains(dump, perVoucher), 'redis');
    assert.ok(
      !dumpContains(
        dump,
        textForms(perVoucher).map((f) => Buffer.from(f)),
      ),
      'redis text',
    );

    // --- the feed: a collective post reaches members, authors checked ---------------------
    const last = members[members.length - 1] as Member;
    await last.feed.postCollective('portland', { text: 'General meeting Thursday 7pm ✊' });
    await waitMailDrained(nats.url);
    const read = await founder.feed.read({ world: false });
    const got = read.items.filter((p) => p.source === '@portland');
    assert.deepEqual(
      got.map((p) => [p.author, p.text]),
      [[last.name, 'General meeting Thursday 7pm ✊']],
    );
    // a member who left is no longer an accepted author (the key was not rotated)
    const leaver = members[2] as Member;
    const stale = leaver.feed.collectives.membership('portland');
    assert.ok(stale?.groupKey && stale.fanout);
    await leaver.feed.collectives.leave('portland');
    await leaver.k.relayClient.sendFanout(leaver.k.account.identity, {
      to: { address: stale.fanout, publicKey: stale.groupKey.publicKey },
      kind: ContentKind.Post,
      content: postContent(leaver.name, { text: 'still here?' }),
    });
    await waitMailDrained(nats.url);
    const again = await members[1]?.feed.read({ world: false });
    assert.ok(again);
    assert.ok(!again.items.some((p) => p.text === 'still here?'));
    assert.deepEqual(again.collectives.rejected, ['ERR_SEAL_WRONG_SENDER']);
  });

  test('collectives - a double vouch, a non-member and a replayed or held-back vouch are refused with typed errors', async () => {
    const alice = await komrade('alice_s');
    const bob = await komrade('bob_s');
    const carol = await komrade('carol_s');
    const mallory = await komrade('mallory_s');
    await alice.feed.collectives.create('seattle', { kind: 'fixed', count: 2 });
    await bob.feed.collectives.join('seattle');
    await alice.feed.collectives.vouch('seattle', 'bob_s');
    await carol.feed.collectives.join('seattle');
    const counted = await alice.feed.collectives.vouch('seattle', 'carol_s');
    assert.equal(counted.outcome, CollectiveOutcome.Counted);
    assert.equal(
      await codeOf(alice.feed.collectives.vouch('seattle', 'carol_s')),
      'ERR_VOUCH_DUPLICATE',
    );
    assert.equal(
      await codeOf(mallory.feed.collectives.vouch('seattle', 'carol_s')),
      'ERR_COLLECTIVE_NOT_MEMBER',
    );
    // the very bytes of alice's first vouch, sent again
    const first = alice.calls.filter((c) => c.path === '/v1/collectives').at(-2);
    assert.ok(first);
    assert.equal(
      await codeOf(
        httpTransport({ baseUrl: relay.operatorUrl }).post('/v1/collectives', first.body),
      ),
      'ERR_COLLECTIVE_REPLAY',
    );
    // bob signs a vouch that is held back, then leaves: it can never count
    const view = await alice.feed.collectives.show('seattle');
    const bobEpoch =
      view.members.find((m) => same(m.identityKey, bob.k.account.identity.publicKey))?.epoch ?? 0;
    const held = rawRequest(bob.k.account.identity, 'seattle', {
      type: MessageType.CollectiveVouch,
      memberEpoch: bobEpoch,
      candidateKey: carol.k.account.identity.publicKey,
      candidacyEpoch: view.candidates[0]?.epoch ?? 0,
    });
    await bob.feed.collectives.leave('seattle');
    assert.equal(
      await codeOf(httpTransport({ baseUrl: relay.operatorUrl }).post('/v1/collectives', held)),
      'ERR_COLLECTIVE_NOT_MEMBER',
    );
    const after = await alice.feed.collectives.show('seattle');
    assert.equal(after.candidates[0]?.vouches, 1);
    assert.equal(after.members.length, 1);
    // with bob gone quorum(1) = 1: alice's vouch already counts, and sending it again admits
    const admitted = await alice.feed.collectives.vouch('seattle', 'carol_s');
    assert.equal(admitted.outcome, CollectiveOutcome.Admitted);
    assert.equal(
      await codeOf(alice.feed.collectives.vouch('seattle', 'carol_s')),
      'ERR_COLLECTIVE_MEMBER',
    );
    // founding again is a harmless retry: the same collective comes back
    assert.equal(
      (await alice.feed.collectives.create('seattle', { kind: 'fixed', count: 1 })).outcome,
      CollectiveOutcome.Created,
    );
    assert.equal(
      await codeOf(carol.feed.collectives.create('seattle', { kind: 'fixed', count: 1 })),
      'ERR_COLLECTIVE_MEMBER',
    );
    assert.equal(
      await codeOf(mallory.feed.collectives.create('seattle', { kind: 'fixed', count: 1 })),
      'ERR_COLLECTIVE_TAKEN',
    );
    assert.equal(
      await codeOf(mallory.feed.collectives.show('nowhere')),
      'ERR_COLLECTIVE_NOT_FOUND',
    );
  });

  test('collectives - two vouch instances racing: concurrent joins and vouches all count exactly once', async () => {
    const second = await startVouch(vouchConfig(relay.env), {
      log: createLogger('vouch', 'silent'),
    });
    try {
      const founder = await komrade('race_founder');
      await founder.feed.collectives.create('racetown', { kind: 'fixed', count: 1 });
      const client = new KomradeClient({
        transport: httpTransport({ baseUrl: relay.operatorUrl }),
      });
      const joinOf = async (id: KeyPair) => {
        const mb = newMailbox('test');
        await client.createMailbox(mb);
        return postRaw(
          rawRequest(id, 'racetown', {
            type: MessageType.CollectiveJoin,
            mailboxRelay: mb.address.relay,
            mailboxId: mb.address.id,
            mailboxKey: mb.keys.publicKey,
          }),
        );
      };
      // nine candidates join at once, across both instances: nine distinct candidacies
      const ids = Array.from({ length: 9 }, () => generateKeyPair());
      const joins = await Promise.all(ids.map(joinOf));
      assert.equal(new Set(joins.map((j) => j.epoch)).size, 9);
      for (const [i, id] of ids.entries())
        await postRaw(
          rawRequest(founder.k.account.identity, 'racetown', {
            type: MessageType.CollectiveVouch,
            memberEpoch: 1,
            candidateKey: id.publicKey,
            candidacyEpoch: joins[i]?.epoch ?? 0,
          }),
        );
      // everyone must vouch from now on: the founder's vote alone is quorum(10) under fixed:1
      const changed = await founder.feed.collectives.vote('racetown', {
        kind: 'fixed',
        count: 100,
      });
      assert.equal(changed.outcome, CollectiveOutcome.PolicyChanged);
      const x = generateKeyPair();
      const xJoin = await joinOf(x);
      const view = await founder.feed.collectives.show('racetown');
      assert.equal(view.quorum, 10);
      const voters: KeyPair[] = [founder.k.account.identity, ...ids];
      const results = await Promise.all(
        voters.map((v) =>
          postRaw(
            rawRequest(v, 'racetown', {
              type: MessageType.CollectiveVouch,
              memberEpoch: view.members.find((m) => same(m.identityKey, v.publicKey))?.epoch ?? 0,
              candidateKey: x.publicKey,
              candidacyEpoch: xJoin.epoch,
            }),
          ),
        ),
      );
      assert.equal(results.filter((r) => r.outcome === CollectiveOutcome.Admitted).length, 1);
      assert.equal(results.filter((r) => r.outcome === CollectiveOutcome.Counted).length, 9);
      const after = await founder.feed.collectives.show('racetown');
      assert.equal(after.members.length, 11);
      assert.equal(after.members.find((m) => same(m.identityKey, x.publicKey))?.vouches, 10);
      assert.equal(await founder.feed.collectives.vouchCount(x.publicKey), 10);
    } finally {
      await second[Symbol.asyncDispose]();
    }
  });

  test('collectives - one post to a collective of 1,000 members lands exactly once in each member mailbox', async () => {
    const founder = await komrade('bigtown_founder');
    const fanoutCalls = recording(httpTransport({ baseUrl: relay.operatorUrl }));
    await founder.feed.collectives.create('bigtown', { kind: 'fixed', count: 1 });
    const client = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
    const boxes: OwnedMailbox[] = [];
    const t0 = Date.now();
    // 999 members: identities and mailboxes made here (no names needed), each joining and
    // admitted by the founder's vouch (quorum 1)
    const founderEpoch = 1;
    for (let i = 0; i < 999; i++) {
      const id = generateKeyPair();
      const mb = newMailbox('test');
      await client.createMailbox(mb);
      const joined = await postRaw(
        rawRequest(id, 'bigtown', {
          type: MessageType.CollectiveJoin,
          mailboxRelay: mb.address.relay,
          mailboxId: mb.address.id,
          mailboxKey: mb.keys.publicKey,
        }),
      );
      const admitted = await postRaw(
        rawRequest(founder.k.account.identity, 'bigtown', {
          type: MessageType.CollectiveVouch,
          memberEpoch: founderEpoch,
          candidateKey: id.publicKey,
          candidacyEpoch: joined.epoch,
        }),
      );
      assert.equal(admitted.outcome, CollectiveOutcome.Admitted);
      boxes.push(mb);
    }
    process.stdout.write(`# 999 members joined and admitted in ${Date.now() - t0} ms\n`);
    const mine = founder.feed.collectives.membership('bigtown');
    assert.ok(mine?.groupKey && mine.fanout);
    boxes.push(mine.mailbox);
    const view = await founder.feed.collectives.show('bigtown');
    assert.equal(view.members.length, 1000);

    // one request from the client
    const sender = new KomradeClient({ transport: fanoutCalls.transport });
    const content = postContent(founder.name, { text: 'to all 1,000 of us' });
    const scrape = async (): Promise<{ count: number; sum: number }> => {
      const text = await (await fetch(relay.metricsUrls['sorter'] ?? '')).text();
      const num = (name: string): number =>
        Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      return { count: num('komrade_fanout_size_count'), sum: num('komrade_fanout_size_sum') };
    };
    const before = await scrape();
    const envelopeId = await sender.sendFanout(founder.k.account.identity, {
      to: { address: mine.fanout, publicKey: mine.groupKey.publicKey },
      kind: ContentKind.Post,
      content,
    });
    assert.deepEqual(
      fanoutCalls.calls.map((c) => c.path),
      ['/v1/fanout'],
    );
    await waitMailDrained(nats.url, 120_000);

    // exactly once in each member's mailbox, and in no other mailbox
    const r = new Redis(redis.url);
    try {
      let copies = 0;
      for (const mb of boxes) {
        const fields = await r.hkeysBuffer(mailboxKeys(toHex(mb.address.id)).msgs);
        assert.equal(fields.length, 1, toHex(mb.address.id));
        assert.ok(same(fields[0] ?? Buffer.alloc(0), envelopeId));
        copies++;
      }
      assert.equal(copies, 1000);
      let holding = 0;
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', 'km:mb:*:msg', 'COUNT', 1000);
        cursor = next;
        for (const k of keys) if ((await r.hexists(k, Buffer.from(envelopeId))) === 1) holding++;
      } while (cursor !== '0');
      assert.equal(holding, 1000);
    } finally {
      r.disconnect();
    }
    // members read it with the group key (each on its own device: its own replay guard)
    for (const mb of boxes.slice(0, 5)) {
      const device = new KomradeClient({
        transport: httpTransport({ baseUrl: relay.operatorUrl }),
      });
      const page = await device.fetchPage(mb);
      const env = page.envelopes[0];
      assert.ok(env);
      const opened = device.open({ address: mine.fanout, keys: mine.groupKey }, env, (k) =>
        view.members.some((e) => same(e.identityKey, k)),
      );
      assert.ok(opened.ok);
    }
    // the sorter measured one fan-out of 1000
    const now = await scrape();
    assert.deepEqual(
      { count: now.count - before.count, sum: now.sum - before.sum },
      { count: 1, sum: 1000 },
    );
  });

  test('world posts - readable by anyone with checked authors, and gone from every store after their lifetime', async () => {
    const writer = await komrade('world_writer');
    const reader = await komrade('world_reader');
    const day0 = worldDayOf(Date.now());
    const short = await writer.feed.postWorld({ text: 'this will vanish in two seconds' }, 2);
    const long = await writer.feed.postWorld({ text: 'this stays a day' }, 86_400);
    const sameDay = worldDayOf(Date.now()) === day0;
    const listed = await reader.feed.read();
    const texts = listed.items.filter((p) => p.source === 'world').map((p) => [p.author, p.text]);
    assert.deepEqual(texts, [
      ['world_writer', 'this stays a day'],
      ['world_writer', 'this will vanish in two seconds'],
    ]);
    // the short post's id and signed bytes, to look for afterwards
    const publish = writer.calls.find((c) => c.path === '/v1/world/publish');
    assert.ok(publish);
    const needles = [short.id, publish.body.subarray(publish.body.length - 64)];
    assert.ok(dumpContains(await dumpRedis(redis.url), needles), 'stored before its lifetime ends');
    await new Promise((r) => setTimeout(r, 2500));
    // the day's keys live as long as its longest post: the short one waits for the sweep
    if (sameDay) assert.ok(dumpContains(await dumpRedis(redis.url), needles), 'until swept');
    const swept = relay.purge?.counts.worldExpired ?? 0;
    await relay.purge?.sweepNow();
    if (sameDay) assert.equal((relay.purge?.counts.worldExpired ?? 0) - swept, 1);
    const dump = await dumpRedis(redis.url);
    assert.ok(!dumpContains(dump, needles), 'redis: gone');
    assert.ok(
      !dumpContains(
        dump,
        identifierForms(short.id).map((f) => Buffer.from(f)),
      ),
      'redis: id gone',
    );
    assert.ok(
      dumpContains(
        dump,
        [long.id].map((x) => Buffer.from(toHex(x))),
      ),
      'the other one stays',
    );
    const stream = await mailStreamLeftovers(nats.url);
    assert.ok(
      !stream.readable.some((m) =>
        needles.some((n) => Buffer.from(m).indexOf(Buffer.from(n)) >= 0),
      ),
      'jetstream',
    );
    for (const bucket of [
      KV_BUCKETS.collectives,
      KV_BUCKETS.collectiveNonces,
      KV_BUCKETS.directory,
    ])
      for (const { key, value } of await dumpKv(nats.url, bucket))
        assert.ok(!needles.some((n) => Buffer.from(value).indexOf(Buffer.from(n)) >= 0), key);
    const later = await reader.feed.read();
    assert.deepEqual(
      later.items.filter((p) => p.source === 'world').map((p) => p.text),
      ['this stays a day'],
    );
    // the id the client computed is the id the relay listed
    assert.equal(later.items.find((p) => p.source === 'world')?.id, toHex(long.id));
  });

  test('feed - friends posts reach contacts only, newest first, with world and collective posts', async () => {
    const ann = await komrade('ann_f');
    const ben = await komrade('ben_f');
    const cat = await komrade('cat_f');
    await ann.k.meet('ben_f');
    await ben.k.accept('ann_f');
    await ann.k.syncAll();
    assert.equal(await ann.feed.postFriends({ text: 'friends only' }), 1);
    await ann.feed.postWorld({ text: 'hello world' }, 600);
    const forBen = await ben.feed.read();
    const mine = forBen.items.filter((p) => p.author === 'ann_f');
    assert.deepEqual(
      mine.map((p) => [p.source, p.text]),
      [
        ['world', 'hello world'],
        ['friends', 'friends only'],
      ],
    );
    const forCat = await cat.feed.read();
    assert.ok(!forCat.items.some((p) => p.text === 'friends only'));
    assert.ok(forCat.items.some((p) => p.text === 'hello world'));
  });
});
