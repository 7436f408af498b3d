import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  ACK_TOMBSTONE_MS,
  MAILBOX_SCRIPTS,
  mailboxKeys,
  sessionKey,
  type FanoutTarget,
} from '@komrade/protocol';
import { connectRedis, nodeOfKey, type RedisClient } from '@komrade/service-runtime';
import { SorterMailboxStore } from '@komrade/sorter';
import { Cluster, Redis } from 'ioredis';
import { startRedisCluster, type RedisCluster } from '../src/redis-cluster.js';
import { flushRedis, startRedis, type RunningServer } from '../src/servers.js';

const HOUR = 3_600_000;
const ID0 = new Uint8Array(16);
const NOW = 1_900_000_000_000;
const AT = NOW + HOUR;

interface Box extends FanoutTarget {
  readonly hex: string;
}

function newBox(): Box {
  const mailboxId = new Uint8Array(randomBytes(16));
  return {
    mailboxRelay: 'test',
    mailboxId,
    mailboxKey: new Uint8Array(randomBytes(45)),
    hex: Buffer.from(mailboxId).toString('hex'),
  };
}

async function register(r: RedisClient, b: Box, key: Uint8Array = b.mailboxKey): Promise<void> {
  await r.set(mailboxKeys(b.hex).key, Buffer.from(key), 'PX', 10 * HOUR);
}

/** The reference: the single-mailbox storeIfKey script, one call per member. */
async function storeIfKey(
  r: RedisClient,
  b: Box,
  id: Uint8Array,
  env: Uint8Array,
  seq: number,
  at: number,
  quota: number,
  now = NOW,
): Promise<number> {
  const k = mailboxKeys(b.hex);
  const n = await r.eval(
    MAILBOX_SCRIPTS.storeIfKey,
    5,
    k.key,
    k.msgs,
    k.order,
    k.expiry,
    k.gone,
    Buffer.from(b.mailboxKey),
    Buffer.from(id),
    Buffer.from(env),
    seq,
    at,
    quota,
    now,
  );
  return Number(n);
}

/** The reference for storeBatch: the single-mailbox store script. */
async function storeOne(
  r: RedisClient,
  b: Box,
  id: Uint8Array,
  env: Uint8Array,
  seq: number,
  at: number,
  quota: number,
): Promise<number> {
  const k = mailboxKeys(b.hex);
  const n = await r.eval(
    MAILBOX_SCRIPTS.store,
    4,
    k.msgs,
    k.order,
    k.expiry,
    k.gone,
    Buffer.from(id),
    Buffer.from(env),
    seq,
    at,
    quota,
    NOW,
  );
  return Number(n);
}

/** What the recipient's ack leaves behind: the real ack script with a session made up for it. */
async function ack(r: RedisClient, b: Box, id: Uint8Array): Promise<void> {
  const k = mailboxKeys(b.hex);
  const token = new Uint8Array(32).fill(7);
  const s = sessionKey(b.hex, token);
  await r.set(s, '1', 'PX', 60_000);
  await r.eval(
    MAILBOX_SCRIPTS.ack,
    5,
    s,
    k.msgs,
    k.order,
    k.expiry,
    k.gone,
    NOW,
    ACK_TOMBSTONE_MS,
    Buffer.from(id),
  );
  await r.del(s);
}

/** Everything Redis holds for a mailbox, in a form that compares across mailboxes. */
async function dump(r: RedisClient, b: Box): Promise<unknown> {
  const k = mailboxKeys(b.hex);
  const msgs: string[] = [];
  for (const f of await r.hkeysBuffer(k.msgs)) {
    const v = await r.hgetBuffer(k.msgs, f);
    msgs.push(`${f.toString('hex')}=${v?.toString('hex') ?? ''}`);
  }
  const zset = async (key: string) =>
    (await r.zrangeBuffer(key, '0', '-1', 'WITHSCORES')).map((x) => x.toString('hex'));
  return {
    msgs: msgs.sort(),
    order: await zset(k.order),
    expiry: await zset(k.expiry),
    gone: await zset(k.gone),
    ttl: [await r.pexpiretime(k.msgs), await r.pexpiretime(k.order), await r.pexpiretime(k.expiry)],
  };
}

/** INFO commandstats' script calls (EVAL and EVALSHA), summed over the given nodes. */
async function scriptCalls(nodes: readonly Redis[]): Promise<number> {
  let n = 0;
  for (const node of nodes) {
    const info = await node.info('commandstats');
    for (const m of info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)) n += Number(m[1]);
  }
  return n;
}

describe('fan-out store: one script call per node and chunk (real redis-server)', () => {
  let server: RunningServer;
  let redis: RedisClient;
  let store: SorterMailboxStore;

  before(async () => {
    server = await startRedis();
    redis = await connectRedis({ urls: [server.url], cluster: false }, 'fanout-store-test');
    store = new SorterMailboxStore(redis);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await flushRedis(server.url);
  });

  test('fan-out store - every outcome and the stored state are those of storeIfKey per member', async () => {
    const quota = 3;
    const env = new Uint8Array(randomBytes(1164));
    const id = new Uint8Array(randomBytes(16));
    const other = () => ({ id: new Uint8Array(randomBytes(16)), env: randomBytes(1164) });
    // each case is built twice, once for the reference and once for storeFanout
    type Setup = (b: Box) => Promise<void>;
    // the same other envelopes for both copies of a case, so their states compare
    const fill = (n: number, at: number): Setup => {
      const fillers = Array.from({ length: n }, other);
      return async (b) => {
        for (const [i, o] of fillers.entries())
          assert.equal(await storeIfKey(redis, b, o.id, o.env, 1 + i, at, 1000, at - HOUR), 1);
      };
    };
    const fillTwo = fill(2, AT + HOUR);
    const cases: Record<string, { setup: Setup; expect: number; registered?: 'no' | 'wrong' }> = {
      'empty mailbox': { setup: async () => undefined, expect: 1 },
      'holds other mail': { setup: fillTwo, expect: 1 },
      'holds this envelope': {
        setup: async (b) => {
          assert.equal(await storeIfKey(redis, b, id, env, 5, AT, 1000), 1);
        },
        expect: 0,
      },
      'acked this envelope (tombstone)': {
        setup: async (b) => {
          await storeIfKey(redis, b, id, env, 5, AT, 1000);
          await ack(redis, b, id);
        },
        expect: 0,
      },
      'over quota': { setup: fill(3, AT + HOUR), expect: -1 },
      'full and holds this envelope': {
        setup: async (b) => {
          await fillTwo(b);
          await storeIfKey(redis, b, id, env, 5, AT, 1000);
        },
        expect: 0,
      },
      'full of expired mail': { setup: fill(3, NOW - 1), expect: 1 },
      'registered with another key': {
        setup: async () => undefined,
        expect: -3,
        registered: 'wrong',
      },
      'not registered': { setup: async () => undefined, expect: -3, registered: 'no' },
    };
    const outcome: Record<number, string> = {
      1: 'stored',
      0: 'duplicate',
      [-1]: 'over-quota',
      [-3]: 'wrong-key',
    };
    const ref: Box[] = [];
    const fan: Box[] = [];
    for (const c of Object.values(cases))
      for (const list of [ref, fan]) {
        const b = newBox();
        if (c.registered === 'wrong') await register(redis, b, randomBytes(45));
        else if (c.registered !== 'no') await register(redis, b);
        if (c.registered === undefined) await c.setup(b);
        list.push(b);
      }

    const refCodes: number[] = [];
    for (const b of ref) refCodes.push(await storeIfKey(redis, b, id, env, 9, AT, quota));
    const counts = await store.storeFanout(fan, id, env, 9, AT, quota, NOW);

    const names = Object.keys(cases);
    const wanted: Record<string, number> = {
      stored: 0,
      duplicate: 0,
      'over-quota': 0,
      expired: 0,
      'wrong-key': 0,
    };
    names.forEach((name, i) => {
      const c = cases[name];
      assert.equal(refCodes[i], c?.expect, `reference: ${name}`);
      const o = outcome[c?.expect ?? 99] ?? 'unknown';
      wanted[o] = (wanted[o] ?? 0) + 1;
    });
    assert.deepEqual(counts, wanted);
    for (let i = 0; i < names.length; i++)
      assert.deepEqual(
        await dump(redis, fan[i] as Box),
        await dump(redis, ref[i] as Box),
        `same Redis state: ${names[i] ?? ''}`,
      );
  });

  test('fan-out store - an expired post is stored nowhere; unregistered mailboxes still count as wrong-key', async () => {
    const boxes = [newBox(), newBox(), newBox()];
    await register(redis, boxes[0] as Box);
    await register(redis, boxes[1] as Box);
    const counts = await store.storeFanout(
      boxes,
      randomBytes(16),
      randomBytes(1164),
      1,
      NOW,
      10,
      NOW,
    );
    assert.deepEqual(counts, {
      stored: 0,
      duplicate: 0,
      'over-quota': 0,
      expired: 2,
      'wrong-key': 1,
    });
    assert.deepEqual(await redis.keys('km:mb:*:msg'), []);
  });

  test('fan-out store - a Redis error fails the whole call (for a retry) instead of skipping the member', async () => {
    const boxes = [newBox(), newBox()];
    await register(redis, boxes[0] as Box);
    // not a string: GET answers WRONGTYPE
    await redis.hset(mailboxKeys((boxes[1] as Box).hex).key, 'x', '1');
    await assert.rejects(
      store.storeFanout(boxes, randomBytes(16), randomBytes(1164), 1, AT, 10, NOW),
      /WRONGTYPE/,
    );
  });

  test('fan-out store - 600 members take 3 script calls, a redelivery stores nothing new, and an acked copy is not stored again', async () => {
    const boxes = Array.from({ length: 600 }, newBox);
    for (const b of boxes) await register(redis, b);
    const node = redis as Redis;
    // the script is loaded (EVALSHA fails once with NOSCRIPT) before counting
    await store.storeFanout([newBox()], randomBytes(16), randomBytes(1164), 1, AT, 10, NOW);
    await node.config('RESETSTAT');
    const id = new Uint8Array(randomBytes(16));
    const env = new Uint8Array(randomBytes(1164));
    const first = await store.storeFanout(boxes, id, env, 2, AT, 10, NOW);
    assert.equal(first.stored, 600);
    assert.equal(await scriptCalls([node]), 3, 'ceil(600 / FANOUT_CHUNK) calls');
    for (const b of boxes) assert.equal(await redis.hlen(mailboxKeys(b.hex).msgs), 1);

    // the recipient of boxes[0] fetched and acked it; then JetStream redelivers the post
    await ack(redis, boxes[0] as Box, id);
    const again = await store.storeFanout(boxes, id, env, 2, AT, 10, NOW);
    assert.deepEqual(again, {
      stored: 0,
      duplicate: 600,
      'over-quota': 0,
      expired: 0,
      'wrong-key': 0,
    });
    assert.equal(await redis.exists(mailboxKeys((boxes[0] as Box).hex).msgs), 0);
    for (const b of boxes.slice(1)) assert.equal(await redis.hlen(mailboxKeys(b.hex).msgs), 1);
  });
});

describe('batch store: one script call per node for a group-committed batch (real redis-server)', () => {
  let server: RunningServer;
  let redis: RedisClient;
  let store: SorterMailboxStore;

  before(async () => {
    server = await startRedis();
    redis = await connectRedis({ urls: [server.url], cluster: false }, 'batch-store-test');
    store = new SorterMailboxStore(redis);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await flushRedis(server.url);
  });

  test('batch store - every outcome and the stored state are those of store per envelope, in order', async () => {
    const quota = 3;
    const mk = () => ({
      id: new Uint8Array(randomBytes(16)),
      env: new Uint8Array(randomBytes(1164)),
    });
    // one list of envelope specs, replayed against two sets of mailboxes
    const old = [mk(), mk(), mk()];
    const fresh = Array.from({ length: 6 }, mk);
    interface Spec {
      box: number;
      e: { id: Uint8Array; env: Uint8Array };
      at: number;
      want: number;
    }
    const specs: Spec[] = [
      { box: 0, e: fresh[0] as Spec['e'], at: AT, want: 1 }, // empty mailbox
      { box: 0, e: fresh[1] as Spec['e'], at: AT + HOUR, want: 1 }, // the same mailbox again
      { box: 1, e: old[0] as Spec['e'], at: AT, want: 0 }, // already held
      { box: 2, e: old[1] as Spec['e'], at: AT, want: 0 }, // acked: tombstone
      { box: 3, e: fresh[2] as Spec['e'], at: AT, want: -1 }, // full
      { box: 4, e: fresh[3] as Spec['e'], at: AT, want: 1 }, // full of expired mail
      { box: 0, e: fresh[4] as Spec['e'], at: NOW, want: -2 }, // expired post
      { box: 0, e: fresh[5] as Spec['e'], at: AT, want: 1 }, // third in box 0: at the quota
      { box: 0, e: fresh[0] as Spec['e'], at: AT, want: 0 }, // a duplicate inside the batch
    ];
    // the same other envelopes for both sets of mailboxes, so their states compare
    const full = [old[2], mk(), mk()];
    const stale = [mk(), mk(), mk()];
    const setup = async (boxes: Box[]) => {
      await storeOne(redis, boxes[1] as Box, old[0]?.id ?? ID0, old[0]?.env ?? ID0, 1, AT, 10);
      await storeOne(redis, boxes[2] as Box, old[1]?.id ?? ID0, old[1]?.env ?? ID0, 1, AT, 10);
      await ack(redis, boxes[2] as Box, old[1]?.id ?? ID0);
      for (const [i, o] of full.entries())
        await storeOne(redis, boxes[3] as Box, o?.id ?? ID0, o?.env ?? ID0, i, AT + HOUR, 10);
      // expired when this batch arrives
      for (const [i, x] of stale.entries()) {
        const k = mailboxKeys((boxes[4] as Box).hex);
        await redis.eval(
          MAILBOX_SCRIPTS.store, 4, k.msgs, k.order, k.expiry, k.gone,
          Buffer.from(x.id), Buffer.from(x.env), i, NOW - 1, 10, NOW - HOUR,
        ); // prettier-ignore
      }
    };
    const ref = Array.from({ length: 5 }, newBox);
    const bulk = Array.from({ length: 5 }, newBox);
    await setup(ref);
    await setup(bulk);
    const refCodes: number[] = [];
    for (const [i, sp] of specs.entries())
      refCodes.push(
        await storeOne(redis, ref[sp.box] as Box, sp.e.id, sp.e.env, 100 + i, sp.at, quota),
      );
    assert.deepEqual(
      refCodes,
      specs.map((sp) => sp.want),
      'reference outcomes',
    );
    const outcomes = await store.storeBatch(
      specs.map((sp, i) => ({
        mailboxId: (bulk[sp.box] as Box).mailboxId,
        envelopeId: sp.e.id,
        envelope: sp.e.env,
        seq: 100 + i,
        expiresAtMs: sp.at,
      })),
      quota,
      NOW,
    );
    const name: Record<number, string> = {
      1: 'stored',
      0: 'duplicate',
      [-1]: 'over-quota',
      [-2]: 'expired',
    };
    assert.deepEqual(
      outcomes,
      specs.map((sp) => name[sp.want]),
    );
    for (let b = 0; b < 5; b++)
      assert.deepEqual(
        await dump(redis, bulk[b] as Box),
        await dump(redis, ref[b] as Box),
        `box ${String(b)}`,
      );
  });
});

describe('fan-out store in Redis Cluster mode (3 masters, 3 replicas)', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let store: SorterMailboxStore;

  before(async () => {
    cluster = await startRedisCluster(3);
    client = (await connectRedis(
      { urls: cluster.urls, cluster: true },
      'fanout-cluster-test',
    )) as Cluster;
    store = new SorterMailboxStore(client, { replicas: 1, timeoutMs: 5_000 });
  });
  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  test('redis-cluster fan-out - members on every node are written by one call per node, and replicas confirm', async () => {
    const boxes = Array.from({ length: 300 }, newBox);
    for (const b of boxes) await register(client, b);
    const masters = client.nodes('master');
    assert.equal(masters.length, 3);
    await store.storeFanout([newBox()], randomBytes(16), randomBytes(1164), 1, AT, 10, NOW);
    for (const m of masters) await m.config('RESETSTAT');
    const id = new Uint8Array(randomBytes(16));
    const counts = await store.storeFanout(boxes, id, randomBytes(1164), 2, AT, 10, NOW);
    assert.equal(counts.stored, 300);
    // 300 members over 3 masters: at most 256 on one, so one or two calls per master
    const calls = await scriptCalls(masters);
    assert.ok(calls >= 3 && calls <= 6, `script calls: ${String(calls)}`);
    for (const b of boxes) assert.equal(await client.hlen(mailboxKeys(b.hex).msgs), 1);
  });

  test('redis-cluster fan-out - a node answers -4 for a mailbox it does not serve and leaves it alone', async () => {
    const here = newBox();
    let elsewhere = newBox();
    const owner = (b: Box) => nodeOfKey(client, mailboxKeys(b.hex).key);
    while (owner(elsewhere) === owner(here)) elsewhere = newBox();
    await register(client, here);
    await register(client, elsewhere);
    const k = mailboxKeys(here.hex);
    const codes = await client.eval(
      MAILBOX_SCRIPTS.storeFanout,
      1,
      k.key,
      randomBytes(16),
      randomBytes(1164),
      3,
      AT,
      10,
      NOW,
      here.hex,
      Buffer.from(here.mailboxKey),
      elsewhere.hex,
      Buffer.from(elsewhere.mailboxKey),
    );
    assert.deepEqual(codes, [1, -4]);
    assert.equal(await client.exists(mailboxKeys(elsewhere.hex).msgs), 0);
  });

  test('redis-cluster batch store - envelopes for mailboxes on every node, one call per node, in order', async () => {
    const boxes = Array.from({ length: 40 }, newBox);
    const items = boxes.map((b, i) => ({
      mailboxId: b.mailboxId,
      envelopeId: new Uint8Array(randomBytes(16)),
      envelope: new Uint8Array(randomBytes(1164)),
      seq: i,
      expiresAtMs: AT,
    }));
    const masters = client.nodes('master');
    // the script is loaded on every master (EVALSHA fails once with NOSCRIPT) before counting
    const warm = boxes.map(() => ({ ...items[0], mailboxId: newBox().mailboxId }));
    await store.storeBatch(warm as typeof items, 10, NOW);
    for (const m of masters) await m.config('RESETSTAT');
    const outcomes = await store.storeBatch(items, 10, NOW);
    assert.deepEqual(
      outcomes,
      items.map(() => 'stored'),
    );
    assert.equal(await scriptCalls(masters), 3);
    for (const b of boxes) assert.equal(await client.hlen(mailboxKeys(b.hex).msgs), 1);
    assert.deepEqual(
      await store.storeBatch(items, 10, NOW),
      items.map(() => 'duplicate'),
    );
  });

  test('redis-cluster fan-out - with a stale slot map every member is still written exactly once', async () => {
    const boxes = Array.from({ length: 60 }, newBox);
    for (const b of boxes) await register(client, b);
    // a stale slot map, as after a failover or resharding: a third of the members' slots
    // point at another master (with its replica), which does not serve them
    // (ioredis keeps the map twice: slots, and _groupsBySlot for its pipeline checks)
    const internal = client as unknown as { _groupsBySlot: (number | undefined)[] };
    for (const b of boxes.filter((_, i) => i % 3 === 0)) {
      const slot = await slotOf(client, b);
      const right = client.slots[slot]?.join(',');
      const other = client.slots.findIndex((nodes) => nodes.join(',') !== right);
      assert.ok(other >= 0);
      client.slots[slot] = [...(client.slots[other] ?? [])];
      internal._groupsBySlot[slot] = internal._groupsBySlot[other];
    }
    const id = new Uint8Array(randomBytes(16));
    const counts = await store.storeFanout(boxes, id, randomBytes(1164), 4, AT, 10, NOW);
    assert.equal(counts.stored, 60);
    for (const b of boxes) assert.equal(await client.hlen(mailboxKeys(b.hex).msgs), 1);
    const again = await store.storeFanout(boxes, id, randomBytes(1164), 4, AT, 10, NOW);
    assert.equal(again.duplicate, 60);
  });
});

/** The key slot of a mailbox's keys, as the cluster computes it. */
async function slotOf(client: Cluster, b: Box): Promise<number> {
  return Number(await client.call('CLUSTER', 'KEYSLOT', mailboxKeys(b.hex).key));
}
