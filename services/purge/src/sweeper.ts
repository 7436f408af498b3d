import { Cluster, type Redis } from 'ioredis';
import type { Logger, RedisClient } from '@komrade/service-runtime';
import type { PurgeMetrics } from './purge-metrics.js';
import type { PurgeStore } from './purge-store.js';

export interface SweepCounts {
  sweeps: number;
  expired: number;
  lastSweepMs: number;
}

/** Runs one full sweep pass over every master node. Resumable pages of SCAN. */
export async function sweepOnce(
  store: PurgeStore,
  redis: RedisClient,
  nowMs: number,
): Promise<number> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let removed = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const page = await store.sweepPage(node, cursor, nowMs);
      removed += page.removed;
      cursor = page.cursor;
    } while (cursor !== '0');
  }
  return removed;
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
        const n = await sweepOnce(o.store, o.redis, o.now());
        o.counts.sweeps++;
        o.counts.expired += n;
        o.counts.lastSweepMs = performance.now() - t0;
        o.metrics?.expired.add(n);
        o.metrics?.sweepSeconds.record(o.counts.lastSweepMs / 1000);
        if (n > 0) o.log.info({ expired: n }, 'sweep removed expired mail');
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
