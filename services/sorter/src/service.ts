import { initCrypto, SUBJECTS, queueGroup } from '@komrade/protocol';
import {
  connectNats,
  connectRedis,
  createLogger,
  ensureMailConsumer,
  ensureMailStream,
  redisReady,
  serveHealth,
  serveRequests,
  ServiceStats,
  type Logger,
  type NatsConnection,
  type RedisClient,
  type RequestLoop,
} from '@komrade/service-runtime';
import type { SorterConfig } from './config.js';
import { handleCreate, handleFetch, handleSession, type MailboxDeps } from './mailbox-handlers.js';
import { SorterMailboxStore } from './mailbox-store.js';
import { newSortCounts, startSortLoop, type SortCounts } from './sort-loop.js';
import { VERSION } from './version.js';

export interface SorterDeps {
  /** Defaults to a pino logger on stdout. */
  readonly log?: Logger;
  readonly now?: () => number;
}

export interface RunningSorter extends AsyncDisposable {
  readonly counts: SortCounts;
  readonly stats: ServiceStats;
}

/**
 * Starts a sorter: the JetStream consumer that files sealed mail into Redis mailboxes,
 * and the NATS endpoints for mailbox create, session and fetch (queue group "sorter").
 */
export async function start(config: SorterConfig, deps: SorterDeps = {}): Promise<RunningSorter> {
  const log = deps.log ?? createLogger('sorter', config.logLevel);
  const now = deps.now ?? Date.now;
  await initCrypto();
  const redis: RedisClient = await connectRedis(config.redisUrl, 'komrade-sorter');
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
  const store = new SorterMailboxStore(redis);
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
  const queue = queueGroup('sorter');
  const conn = nc;
  const loops: RequestLoop[] = [
    serveRequests({
      nc: conn,
      subject: SUBJECTS.mailboxCreate,
      queue,
      log,
      stats,
      handle: (d) => handleCreate(mdeps, d),
    }),
    serveRequests({
      nc: conn,
      subject: SUBJECTS.mailboxSession,
      queue,
      log,
      stats,
      handle: (d) => handleSession(mdeps, d),
    }),
    serveRequests({
      nc: conn,
      subject: SUBJECTS.mailboxFetch,
      queue,
      log,
      stats,
      handle: (d) => handleFetch(mdeps, d),
    }),
    ...serveHealth({
      nc: conn,
      service: 'sorter',
      version: VERSION,
      log,
      stats,
      ready: () => redisReady(redis),
    }),
  ];
  const sorting = await startSortLoop({
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
  });
  log.info('sorter started');
  return {
    counts,
    stats,
    async [Symbol.asyncDispose]() {
      await sorting.stop();
      await Promise.all(loops.map((l) => l.stop()));
      await conn.drain();
      await redis.quit().catch(() => undefined);
      log.info('sorter stopped');
    },
  };
}
