import { after, before } from 'node:test';
import { initCrypto } from '@komrade/protocol';
import { startRelay, type RelayOptions, type TestRelay } from './relay.js';
import { startNats, startRedis, type RunningServer } from './servers.js';

export interface RelayFixture {
  readonly nats: RunningServer;
  readonly redis: RunningServer;
  readonly relay: TestRelay;
}

/**
 * Registers before/after hooks in the current suite: real nats-server and redis-server on
 * random ports and the four services in-process; everything stopped afterwards. The
 * returned object's fields are valid inside tests.
 */
export function useRelay(o: Omit<RelayOptions, 'natsUrl' | 'redisUrl'> = {}): RelayFixture {
  const f: { nats?: RunningServer; redis?: RunningServer; relay?: TestRelay } = {};
  before(async () => {
    await initCrypto();
    f.nats = await startNats();
    f.redis = await startRedis();
    f.relay = await startRelay({ ...o, natsUrl: f.nats.url, redisUrl: f.redis.url });
  });
  after(async () => {
    await f.relay?.stop();
    await f.redis?.stop();
    await f.nats?.stop();
  });
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not started (use the fixture inside a test)`);
    return v;
  };
  return {
    get nats() {
      return need(f.nats, 'nats-server');
    },
    get redis() {
      return need(f.redis, 'redis-server');
    },
    get relay() {
      return need(f.relay, 'the relay');
    },
  };
}
