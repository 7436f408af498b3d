import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { isAlive } from '@komrade/deploy';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { flushRedis, startNats, startRedis, type RunningServer } from '../src/index.js';

describe('testkit servers', () => {
  const started: RunningServer[] = [];
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  test('startNats gives a JetStream server on a random loopback port, gone after stop()', async () => {
    const nats = await startNats();
    started.push(nats);
    assert.match(nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ servers: nats.url });
    const sub = nc.subscribe('komrade.test.echo', {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    const reply = await nc.request('komrade.test.echo', 'hello', { timeout: 2000 });
    assert.equal(reply.string(), 'hello');
    const js = await nc.request('$JS.API.INFO', new Uint8Array(0), { timeout: 2000 });
    assert.equal(js.json<{ error?: unknown }>().error, undefined, 'JetStream is on');
    sub.unsubscribe();
    await nc.close();
    await nats.stop();
    assert.equal(isAlive(nats.pid), false);
    assert.equal(existsSync(nats.dir), false);
  });

  test('startRedis gives a Redis on a random loopback port, gone after stop()', async () => {
    const redis = await startRedis();
    started.push(redis);
    assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    const client = new Redis(redis.url);
    try {
      assert.equal(await client.ping(), 'PONG');
      // mail must never touch disk: no RDB snapshots, no AOF
      assert.deepEqual(await client.config('GET', 'save'), ['save', '']);
      assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'no']);
      assert.deepEqual(await client.config('GET', 'maxmemory-policy'), [
        'maxmemory-policy',
        'noeviction',
      ]);
    } finally {
      client.disconnect();
    }
    await redis.stop();
    assert.equal(isAlive(redis.pid), false);
  });

  test('flushRedis empties the database', async () => {
    const redis = await startRedis();
    started.push(redis);
    const client = new Redis(redis.url);
    try {
      await client.set('komrade:test:a', '1');
      await client.hset('komrade:test:b', 'f', 'v');
      await client.select(1);
      await client.set('komrade:test:c', '1');
      await client.select(0);
      assert.equal(await client.dbsize(), 2);
      await flushRedis(redis.url);
      assert.equal(await client.dbsize(), 0);
      await client.select(1);
      assert.equal(await client.dbsize(), 0);
    } finally {
      client.disconnect();
    }
  });
});
