import { initCrypto, SUBJECTS, queueGroup } from '@komrade/protocol';
import {
  connectNats,
  connectRedis,
  createLogger,
  ensureMailConsumer,
  ensureMailStream,
  RequestMetrics,
  startTelemetry,
  redisReady,
  serveHealth,
  serveRequests,
  ServiceStats,
  type Logger,
  type NatsConnection,
  type RedisClient,
  type RequestLoop,
} from '@komrade/service-runtime';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SorterConfig } from './config.js';
import { SorterMetrics } from './sorter-metrics.js';
import { vouchMemberLookup } from './fanout.js';
import { handleWorldList, handleWorldPublish, type WorldDeps } from './world-handlers.js';
import { WorldStore } from './world-store.js';
import { startFederation } from './federation.js';
import { handleCreate, handleFetch, handleSession, type MailboxDeps } from './mailbox-handlers.js';
import { SorterMailboxStore } from './mailbox-store.js';
import { newSortCounts, startSortLoop, type SortCounts } from './sort-loop.js';
import { VERSION } from './version.js';

export interface SorterDeps {
  /** Defaults to a pino logger on stdout. */
  readonly log?: Logger;
  readonly now?: () => number;
  /** Receives sampled spans (tests). */
  readonly spanExporter?: SpanExporter;
}

export interface RunningSorter extends AsyncDisposable {
  readonly counts: SortCounts;
  readonly stats: ServiceStats;
  /** Where Prometheus scrapes this instance, when a metrics port is configured. */
  readonly metricsUrl: string | undefined;
}

/**
 * Starts a sorter: the JetStream consumer that files sealed mail into Redis mailboxes,
 * and the NATS endpoints for mailbox create, session and fetch (queue group "sorter").
 */
export async function start(config: SorterConfig, deps: SorterDeps = {}): Promise<RunningSorter> {
  const log = deps.log ?? createLogger('sorter', config.logLevel);
  const now = deps.now ?? Date.now;
  await initCrypto();
  const redis: RedisClient = await connectRedis(config.redis, 'komrade-sorter');
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats(config.natsUrls, 'komrade-sorter');
    await ensureMailStream(nc, {
      maxAgeSec: config.mailMaxTtlSec,
      replicas: config.jsReplicas,
      maxBytes: config.mailStreamMaxBytes,
      duplicateWindowSec: 120,
    });
    // unacked mail of a dead sorter is redelivered after this long
    await ensureMailConsumer(nc, 10);
  } catch (e) {
    await nc?.close();
    redis.disconnect();
    throw e;
  }
  const telemetry = await startTelemetry(
    'sorter',
    VERSION,
    config.telemetry,
    deps.spanExporter ? { spanExporter: deps.spanExporter } : {},
  );
  const requestMetrics = new RequestMetrics(telemetry.meter);
  const store = new SorterMailboxStore(redis, {
    replicas: config.redisWaitReplicas,
    timeoutMs: config.redisWaitTimeoutMs,
  });
  const stats = new ServiceStats();
  const counts = newSortCounts();
  const mdeps: MailboxDeps = {
    store,
    relayName: config.relayName,
    now,
    sessionTtlSec: config.sessionTtlSec,
    proofWindowSec: config.proofWindowSec,
    mailboxTtlSec: config.mailboxTtlSec,
  };
  const wdeps: WorldDeps = {
    store: new WorldStore(redis, {
      replicas: config.redisWaitReplicas,
      timeoutMs: config.redisWaitTimeoutMs,
    }),
    relayName: config.relayName,
    now,
    maxTtlSec: config.worldMaxTtlSec,
  };
  const queue = queueGroup('sorter');
  const conn = nc;
  const endpoints: [string, (d: Uint8Array) => Promise<Uint8Array>][] = [
    [SUBJECTS.mailboxCreate, (d) => handleCreate(mdeps, d)],
    [SUBJECTS.mailboxSession, (d) => handleSession(mdeps, d)],
    [SUBJECTS.mailboxFetch, (d) => handleFetch(mdeps, d)],
    [SUBJECTS.worldPublish, (d) => handleWorldPublish(wdeps, d)],
    [SUBJECTS.worldList, (d) => handleWorldList(wdeps, d)],
  ];
  const loops: RequestLoop[] = [
    ...endpoints.map(([subject, handle]) =>
      serveRequests({ nc: conn, subject, queue, log, stats, metrics: requestMetrics, handle }),
    ),
    ...serveHealth({
      nc: conn,
      service: 'sorter',
      version: VERSION,
      log,
      stats,
      ready: () => redisReady(redis),
    }),
  ];
  const federation = await startFederation({
    config: config.federation,
    relayName: config.relayName,
    nc: conn,
    log,
    meter: telemetry.meter,
    maxAgeSec: config.mailMaxTtlSec,
    replicas: config.jsReplicas,
    maxBytes: config.mailStreamMaxBytes,
    batchBytes: config.forwardBatchBytes,
    retryMinMs: config.forwardRetryMinMs,
    retryMaxMs: config.forwardRetryMaxMs,
  });
  const sorting = await startSortLoop({
    outbound: federation?.outbound,
    members: vouchMemberLookup(conn, { cacheMs: config.fanoutCacheMs, timeoutMs: 5000, now }),
    nc: conn,
    store,
    log,
    relayName: config.relayName,
    quota: config.mailboxQuota,
    maxTtlMs: config.mailMaxTtlSec * 1000,
    concurrency: config.sortConcurrency,
    quotaRetryMs: config.quotaRetryMs,
    now,
    counts,
    metrics: new SorterMetrics(telemetry.meter, conn),
    tracer: telemetry.tracer,
  });
  log.info('sorter started');
  return {
    counts,
    stats,
    metricsUrl: telemetry.metricsUrl,
    async [Symbol.asyncDispose]() {
      await sorting.stop();
      await federation?.stop();
      await Promise.all(loops.map((l) => l.stop()));
      await conn.drain();
      await redis.quit().catch(() => undefined);
      await telemetry[Symbol.asyncDispose]();
      log.info('sorter stopped');
    },
  };
}
