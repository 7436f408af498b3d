import { Cluster, type Redis } from 'ioredis';
import type { Logger, RedisClient } from '@komrade/service-runtime';
import type { PurgeMetrics } from './purge-metrics.js';
import type { PurgeStore } from './purge-store.js';

export interface SweepCounts {
  sweeps: number;
  /** Expired mail removed (the metric komrade_purge_expired_total). */
  expired: number;
  /** Expired world posts removed. */
  worldExpired: number;
  lastSweepMs: number;
}

/**
 * Runs one full sweep pass over every master node: expired mail, then expired world
 * posts (SPEC 12 and 12.1). Resumable pages of SCAN.
 */
export async function sweepOnce(
  store: PurgeStore,
  redis: RedisClient,
  nowMs: number,
): Promise<{ mail: number; world: number }> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let mail = 0;
  let world = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const page = await store.sweepPage(node, cursor, nowMs);
      mail += page.removed;
      cursor = page.cursor;
    } while (cursor !== '0');
    do {
      const page = await store.sweepWorldPage(node, cursor, nowMs);
      world += page.removed;
      cursor = page.cursor;
    } while (cursor !== '0');
  }
  return { mail, world };
}

/** Sweeps every `intervalMs`, never two passes at once; stop() waits for a running pass. */
export function startSweeper(o: {
  store: PurgeStore;
  redis: RedisClient;
  intervalMs: number;
  log: Logger;
  now: () => number;
  counts: SweepCounts;
  metrics?: PurgeMetrics;
}): { stop(): Promise<void>; runNow(): Promise<number> } {
  let running: Promise<number> | undefined;
  const pass = (): Promise<number> => {
    running ??= (async () => {
      const t0 = performance.now();
      try {
        const { mail: n, world } = await sweepOnce(o.store, o.redis, o.now());
        o.counts.sweeps++;
        o.counts.expired += n;
        o.counts.worldExpired += world;
        o.counts.lastSweepMs = performance.now() - t0;
        o.metrics?.expired.add(n);
        o.metrics?.sweepSeconds.record(o.counts.lastSweepMs / 1000);
        if (n > 0) o.log.info({ expired: n }, 'sweep removed expired mail');
        if (world > 0) o.log.info({ expired: world }, 'sweep removed expired world posts');
        return n;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => {
    pass().catch((e: unknown) => {
      o.log.error({ err: e }, 'sweep failed; will retry next interval');
    });
  }, o.intervalMs);
  timer.unref();
  return {
    runNow: pass,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
