import { queueGroup, SUBJECTS } from '@komrade/protocol';
import {
  connectNats,
  connectRedis,
  createLogger,
  redisReady,
  RequestMetrics,
  startTelemetry,
  serveHealth,
  serveRequests,
  ServiceStats,
  type Logger,
  type RequestLoop,
} from '@komrade/service-runtime';
import { handleAck } from './ack-handler.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { PurgeConfig } from './config.js';
import { PurgeMetrics } from './purge-metrics.js';
import { PurgeStore } from './purge-store.js';
import { startSweeper, type SweepCounts } from './sweeper.js';
import { VERSION } from './version.js';

export interface PurgeDeps {
  readonly log?: Logger;
  readonly now?: () => number;
  readonly spanExporter?: SpanExporter;
}

export interface RunningPurge extends AsyncDisposable {
  readonly counts: SweepCounts;
  readonly stats: ServiceStats;
  readonly metricsUrl: string | undefined;
  /** Runs a sweep pass now (tests and ops); resolves with the number expired. */
  sweepNow(): Promise<number>;
}

/** Starts purge: acks (queue group "purge") and the periodic expiry sweep. */
export async function start(config: PurgeConfig, deps: PurgeDeps = {}): Promise<RunningPurge> {
  const log = deps.log ?? createLogger('purge', config.logLevel);
  const now = deps.now ?? Date.now;
  const redis = await connectRedis(config.redis, 'komrade-purge');
  const nc = await connectNats(config.natsUrls, 'komrade-purge').catch((e: unknown) => {
    redis.disconnect();
    throw e;
  });
  const telemetry = await startTelemetry(
    'purge',
    VERSION,
    config.telemetry,
    deps.spanExporter ? { spanExporter: deps.spanExporter } : {},
  );
  const metrics = new PurgeMetrics(telemetry.meter, redis);
  const store = new PurgeStore(redis);
  const stats = new ServiceStats();
  const counts: SweepCounts = { sweeps: 0, expired: 0, worldExpired: 0, lastSweepMs: 0 };
  const loops: RequestLoop[] = [
    serveRequests({
      nc,
      subject: SUBJECTS.mailboxAck,
      queue: queueGroup('purge'),
      log,
      stats,
      metrics: new RequestMetrics(telemetry.meter),
      handle: (d) => handleAck(store, d, metrics),
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
    metrics,
  });
  log.info('purge started');
  return {
    counts,
    stats,
    metricsUrl: telemetry.metricsUrl,
    sweepNow: () => sweeper.runNow(),
    async [Symbol.asyncDispose]() {
      await sweeper.stop();
      await Promise.all(loops.map((l) => l.stop()));
      await nc.drain();
      await redis.quit().catch(() => undefined);
      await telemetry[Symbol.asyncDispose]();
      log.info('purge stopped');
    },
  };
}
