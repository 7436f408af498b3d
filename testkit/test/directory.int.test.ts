import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  encodeDirectoryLookup,
  generateKeyPair,
  initCrypto,
  KomradeError,
  KV_BUCKETS,
  type KeyPair,
} from '@komrade/protocol';
import {
  httpTransport,
  KomradeClient,
  newMailbox,
  targetOf,
  type OwnedMailbox,
} from '@komrade/client';
import { createLogger } from '@komrade/service-runtime';
import { start as startVouch, vouchConfig } from '@komrade/vouch';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';

interface Komrade {
  readonly id: KeyPair;
  readonly intro: OwnedMailbox;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof KomradeError) return e.code;
    throw e;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('directory on JetStream KV (real nats-server with a file store, real redis-server)', () => {
  let storeDir: string;
  let nats: RunningServer;
  let redis: RunningServer;
  let relay: TestRelay;
  let client: KomradeClient;

  const komrade = async (): Promise<Komrade> => {
    const k = { id: generateKeyPair(), intro: newMailbox('test') };
    await client.createMailbox(k.intro);
    return k;
  };
  const register = (k: Komrade, name: string, c = client) =>
    c.registerName(k.id, name, targetOf(k.intro));
  const startAll = async (): Promise<void> => {
    relay = await startRelay({
      natsUrl: nats.url,
      redisUrl: redis.url,
      env: { KOMRADE_REQUEST_TIMEOUT_MS: '1000' },
    });
    client = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
  };

  before(async () => {
    await initCrypto();
    storeDir = await mkdtemp(join(tmpdir(), 'komrade-js-store-'));
    nats = await startNats({ storeDir });
    redis = await startRedis();
    await startAll();
  });

  after(async () => {
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  test('directory - register, look up, idempotent re-register, taken, reserved, not found', async () => {
    const alice = await komrade();
    const mallory = await komrade();
    const entry = await register(alice, 'alice');
    assert.equal(entry.name, 'alice');
    assert.deepEqual((await client.lookupName('alice')).identityKey, alice.id.publicKey);
    assert.deepEqual(await register(alice, 'alice'), entry);
    assert.equal(await codeOf(register(mallory, 'alice')), 'ERR_NAME_TAKEN');
    assert.equal(await codeOf(register(mallory, 'admin')), 'ERR_NAME_RESERVED');
    assert.equal(await codeOf(client.lookupName('admin')), 'ERR_NAME_NOT_FOUND');
    assert.equal(await codeOf(client.lookupName('nobody_here')), 'ERR_NAME_NOT_FOUND');
  });

  test('directory - the bucket is durable: file storage, one value per name, KOMRADE_JS_REPLICAS copies', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(`KV_${KV_BUCKETS.directory}`);
      assert.equal(info.config.storage, StorageType.File);
      assert.equal(info.config.max_msgs_per_subject, 1);
      assert.equal(info.config.num_replicas, 1);
    } finally {
      await nc.close();
    }
  });

  test('directory - registration postage is enforced at the relay difficulty plus 4 bits', async () => {
    const stingy = new KomradeClient({
      transport: {
        ...httpTransport({ baseUrl: relay.operatorUrl }),
        // pretend the relay wants no work at all: the stamp will be too weak
        getJson: async () => ({ relay: 'test', protocol: 1, postageBits: -4, maxTtlSec: 3600 }),
      },
    });
    const k = await komrade();
    let refused = 0;
    for (let i = 0; i < 4; i++) {
      // a zero-bit stamp passes 1 time in 64 at 6 bits; 4 tries all passing is ~1e-7
      if ((await codeOf(register(k, `cheap${i}`, stingy))) === 'ERR_POSTAGE_INSUFFICIENT')
        refused++;
    }
    assert.ok(refused >= 3, `refused ${refused} of 4`);
  });

  test('directory - two vouch instances, 16 keys racing for one name: exactly one wins', async () => {
    const second = await startVouch(vouchConfig({ ...relay.env, KOMRADE_LOG_LEVEL: 'silent' }), {
      log: createLogger('vouch', 'silent'),
    });
    try {
      const racers = await Promise.all(Array.from({ length: 16 }, () => komrade()));
      const results = await Promise.all(racers.map((k) => codeOf(register(k, 'contested'))));
      assert.equal(results.filter((r) => r === 'ok').length, 1, results.join(','));
      assert.equal(results.filter((r) => r === 'ERR_NAME_TAKEN').length, 15);
      const winner = racers[results.indexOf('ok')];
      assert.deepEqual((await client.lookupName('contested')).identityKey, winner?.id.publicKey);
    } finally {
      await second[Symbol.asyncDispose]();
    }
  });

  test('directory - survives a nats-server restart on the same store while the services keep running', async () => {
    const bob = await komrade();
    const before = await register(bob, 'bob');
    const port = nats.port;
    await nats.stop();
    let down: string;
    try {
      down = await codeOf(client.lookupName('bob'));
    } finally {
      nats = await startNats({ storeDir, port });
    }
    // the operator's request is buffered while reconnecting, then times out (or finds no vouch)
    assert.ok(['ERR_SERVICE_TIMEOUT', 'ERR_SERVICE_UNAVAILABLE'].includes(down), down);
    // the services reconnect by themselves
    const after = await until('lookups to work again', async () => client.lookupName('bob'));
    assert.deepEqual(after, before);
    // vouch answers lookups again; the sorter (mailbox registration) may reconnect a moment later
    const late = await until('mailbox registration to work again', komrade, 60_000);
    assert.equal(await codeOf(register(late, 'bob')), 'ERR_NAME_TAKEN');
  });

  test('directory - survives a restart of every service and of nats-server', async () => {
    const carol = await until('the relay to answer', komrade, 60_000);
    const entry = await register(carol, 'carol');
    const port = nats.port;
    await relay.stop();
    await nats.stop();
    nats = await startNats({ storeDir, port });
    await startAll();
    assert.deepEqual(await client.lookupName('carol'), entry);
    assert.deepEqual((await client.lookupName('alice')).name, 'alice');
    assert.equal(await codeOf(register(await komrade(), 'carol')), 'ERR_NAME_TAKEN');
    // the same key registering again after the restart is still idempotent
    assert.deepEqual(await register(carol, 'carol'), entry);
  });

  test('directory - malformed bodies are refused at the edge with their wire code', async () => {
    const t = httpTransport({ baseUrl: relay.operatorUrl });
    const bad = encodeDirectoryLookup({ name: 'alice' });
    bad[4] = 2; // a name of 2 bytes
    assert.equal(await codeOf(t.post('/v1/directory/lookup', bad)), 'ERR_WIRE_LENGTH');
    assert.equal(
      await codeOf(t.post('/v1/directory/register', new Uint8Array([0x4b, 0x4d, 1, 0x21]))),
      'ERR_WIRE_TRUNCATED',
    );
  });
});
