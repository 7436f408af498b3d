import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTcp } from 'node:net';
import { after, describe, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import {
  findBinary,
  isAlive,
  MissingBinaryError,
  natsAnswers,
  redisAnswersPing,
  startNatsServer,
  startRedisServer,
  type RunningServer,
} from '../src/index.js';

const started: RunningServer[] = [];
const scratch: string[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

async function track(s: Promise<RunningServer>): Promise<RunningServer> {
  const server = await s;
  started.push(server);
  return server;
}

async function scratchDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'komrade-deploy-test-'));
  scratch.push(d);
  return d;
}

/** Sends one command over RESP and resolves with the first reply line. */
function redisCommand(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    let reply = '';
    socket.setEncoding('utf8');
    socket.once('error', reject);
    socket.on('data', (chunk: string) => {
      reply += chunk;
      const end = reply.indexOf('\r\n');
      if (end < 0) return;
      socket.destroy();
      resolve(reply.slice(0, end));
    });
    socket.write(
      `*${String(args.length)}\r\n${args.map((a) => `$${String(Buffer.byteLength(a))}\r\n${a}\r\n`).join('')}`,
    );
  });
}

/** A PATH that holds none of the server binaries, and no sbin fallback. */
const nowhere = { path: '/nonexistent-komrade-bin', fallbackDirs: [] };

describe('nats-server', () => {
  test('starts on a random loopback port, accepts clients, and is gone after stop()', async () => {
    const nats = await track(startNatsServer({ jetstream: true }));
    assert.match(nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(nats.port, 4222);
    assert.equal(await natsAnswers(nats.url), true);
    const nc = await connect({ servers: nats.url });
    const info = await nc.request('$JS.API.INFO', new Uint8Array(0), { timeout: 2000 });
    assert.equal(info.json<{ error?: unknown }>().error, undefined, 'JetStream is on');
    await nc.close();
    await nats.stop();
    assert.equal(isAlive(nats.pid), false);
    assert.equal(existsSync(nats.dir), false, 'temporary directory removed');
  });

  test('two servers started at once get different ports', async () => {
    const [a, b] = await Promise.all([track(startNatsServer()), track(startNatsServer())]);
    assert.notEqual(a.port, b.port);
    assert.notEqual(a.pid, b.pid);
    await Promise.all([a.stop(), b.stop()]);
    assert.equal(isAlive(a.pid) || isAlive(b.pid), false);
  });

  test('a durable data dir keeps JetStream file streams across restarts', async () => {
    const dataDir = await scratchDir();
    const stream = {
      name: 'KOMRADE_TEST_DURABLE',
      subjects: ['komrade.test.durable'],
      storage: 'file',
    };
    const first = await track(startNatsServer({ dataDir }));
    let nc = await connect({ servers: first.url });
    const created = await nc.request(
      `$JS.API.STREAM.CREATE.${stream.name}`,
      JSON.stringify(stream),
      {
        timeout: 5000,
      },
    );
    assert.equal(created.json<{ error?: unknown }>().error, undefined);
    await nc.close();
    await first.stop();

    const second = await track(startNatsServer({ dataDir }));
    nc = await connect({ servers: second.url });
    const info = await nc.request(`$JS.API.STREAM.INFO.${stream.name}`, new Uint8Array(0), {
      timeout: 5000,
    });
    assert.equal(info.json<{ error?: unknown }>().error, undefined, 'stream survived the restart');
    await nc.close();
    await second.stop();
    assert.equal(existsSync(dataDir), true, 'a given data dir is kept');
  });
});

describe('redis-server', () => {
  test('starts on a free loopback port, answers PING, and is gone after stop()', async () => {
    const redis = await track(startRedisServer());
    assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await redisAnswersPing(redis.port), true);
    await redis.stop();
    assert.equal(isAlive(redis.pid), false);
    assert.equal(existsSync(redis.dir), false, 'temporary directory removed');
  });

  test('two servers started at once get different ports', async () => {
    const [a, b] = await Promise.all([track(startRedisServer()), track(startRedisServer())]);
    assert.notEqual(a.port, b.port);
    await Promise.all([a.stop(), b.stop()]);
    assert.equal(isAlive(a.pid) || isAlive(b.pid), false);
  });

  test('writes nothing to its directory, not even on shutdown', async () => {
    const dir = await scratchDir();
    const redis = await track(startRedisServer({ dir }));
    assert.equal(await redisCommand(redis.port, ['SET', 'komrade:test', 'mail']), '+OK');
    await redis.stop();
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('missing binaries', () => {
  test('findBinary says how to install what is missing', () => {
    for (const name of ['nats-server', 'redis-server', 'tor'] as const) {
      assert.throws(
        () => findBinary(name, nowhere),
        (e: unknown) =>
          e instanceof MissingBinaryError &&
          e.message ===
            `${name} not found on PATH. Install it with: sudo apt-get install -y ${name}`,
      );
    }
  });

  test('starting a server without its binary fails with the install command', async () => {
    await assert.rejects(startNatsServer({ which: nowhere }), {
      name: 'MissingBinaryError',
      message:
        /nats-server not found on PATH\. Install it with: sudo apt-get install -y nats-server/,
    });
    await assert.rejects(startRedisServer({ which: nowhere }), {
      name: 'MissingBinaryError',
      message:
        /redis-server not found on PATH\. Install it with: sudo apt-get install -y redis-server/,
    });
  });

  test('binaries Debian puts in /usr/sbin are found even when PATH lacks it', () => {
    const path = findBinary('nats-server');
    assert.match(path, /\/nats-server$/);
    const dir = path.slice(0, -'/nats-server'.length);
    assert.equal(findBinary('nats-server', { path: '/nonexistent', fallbackDirs: [dir] }), path);
  });
});
