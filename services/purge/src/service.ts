import { queueGroup, SUBJECTS } from '@komrade/protocol';
import {
  connectNats,
  connectRedis,
  createLogger,
  redisReady,
  serveHealth,
  serveRequests,
  ServiceStats,
  type Logger,
  type RequestLoop,
} from '@komrade/service-runtime';
import { handleAck } from './ack-handler.js';
import type { PurgeConfig } from './config.js';
import { PurgeStore } from './purge-store.js';
import { startSweeper, type SweepCounts } from './sweeper.js';
import { VERSION } from './version.js';

export interface PurgeDeps {
  readonly log?: Logger;
  readonly now?: () => number;
}

export interface RunningPurge extends AsyncDisposable {
  readonly counts: SweepCounts;
  readonly stats: ServiceStats;
  /** Runs a sweep pass now (tests and ops); resolves with the number expired. */
  sweepNow(): Promise<number>;
}

/** Starts purge: acks (queue group "purge") and the periodic expiry sweep. */
export async function start(config: PurgeConfig, deps: PurgeDeps = {}): Promise<RunningPurge> {
  const log = deps.log ?? createLogger('purge', config.logLevel);
  const now = deps.now ?? Date.now;
  const redis = await connectRedis(config.redisUrl, 'komrade-purge');
  const nc = await connectNats(config.natsUrls, 'komrade-purge').catch((e: unknown) => {
    redis.disconnect();
    throw e;
  });
  const store = new PurgeStore(redis);
  const stats = new ServiceStats();
  const counts: SweepCounts = { sweeps: 0, expired: 0, lastSweepMs: 0 };
  const loops: RequestLoop[] = [
    serveRequests({
      nc,
      subject: SUBJECTS.mailboxAck,
      queue: queueGroup('purge'),
      log,
      stats,
      handle: (d) => handleAck(store, d),
    }),
    ...serveHealth({
      nc,
      service: 'purge',
      version: VERSION,
      log,
      stats,
      ready: () => redisReady(redis),
    }),
  ];
  const sweeper = startSweeper({
    store,
    redis,
    intervalMs: config.sweepIntervalSec * 1000,
    log,
    now,
    counts,
  });
  log.info('purge started');
  return {
    counts,
    stats,
    sweepNow: () => sweeper.runNow(),
    async [Symbol.asyncDispose]() {
      await sweeper.stop();
      await Promise.all(loops.map((l) => l.stop()));
      await nc.drain();
      await redis.quit().catch(() => undefined);
      log.info('purge stopped');
    },
  };
}
