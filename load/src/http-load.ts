import { performance } from 'node:perf_hooks';
import { build, type Histogram } from 'hdr-histogram-js';
import { Pool } from 'undici';

/** One keep-alive connection per simulated client; the same client drives baselines and Komrade. */
export function httpPool(origin: string, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
}

/** Latency histogram in microseconds (1 us .. 120 s, 3 significant digits). */
export function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    maxMs: ms(h.maxValue),
  };
}

export interface PostResult {
  /** Requests answered with the expected status. */
  readonly ok: number;
  /** Everything else, by status (or "error" for transport failures). */
  readonly failed: Record<string, number>;
  /** Items (envelopes) carried by the ok requests. */
  readonly items: number;
  readonly elapsedSec: number;
  readonly latency: LatencySummary;
  /** Open model only: arrivals not sent because the in-flight cap was reached. */
  readonly missed: number;
}

/** What to POST next; undefined when there is nothing left. `items` counts envelopes. */
export type NextBody = () => { body: Uint8Array; items: number; onOk?: () => void } | undefined;

interface Tally {
  ok: number;
  items: number;
  failed: Record<string, number>;
  h: Histogram;
}

async function postOnce(
  pool: Pool,
  path: string,
  expect: number,
  req: { body: Uint8Array; items: number; onOk?: () => void },
  startedAt: number,
  t: Tally,
): Promise<void> {
  try {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/octet-stream' },
      body: req.body,
    });
    await res.body.dump();
    if (res.statusCode === expect) {
      t.ok++;
      t.items += req.items;
      req.onOk?.();
    } else {
      const k = String(res.statusCode);
      t.failed[k] = (t.failed[k] ?? 0) + 1;
    }
  } catch {
    t.failed['error'] = (t.failed['error'] ?? 0) + 1;
  }
  t.h.recordValue(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
}

/**
 * Closed model (the maximum rate): `clients` simulated clients each POST, wait for the
 * answer, and POST again, until `durationMs` has passed or the bodies run out.
 */
export async function closedLoop(o: {
  pool: Pool;
  path: string;
  expectStatus: number;
  clients: number;
  durationMs: number;
  next: NextBody;
  onTick?: (elapsedMs: number) => void;
}): Promise<PostResult> {
  const t: Tally = { ok: 0, items: 0, failed: {}, h: newHistogram() };
  const t0 = performance.now();
  const until = t0 + o.durationMs;
  const ticker = o.onTick ? setInterval(() => o.onTick?.(performance.now() - t0), 250) : undefined;
  try {
    await Promise.all(
      Array.from({ length: o.clients }, async () => {
        for (;;) {
          const now = performance.now();
          if (now >= until) return;
          const req = o.next();
          if (!req) return;
          await postOnce(o.pool, o.path, o.expectStatus, req, now, t);
        }
      }),
    );
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const elapsedSec = (performance.now() - t0) / 1000;
  return { ...tallyResult(t), elapsedSec, missed: 0 };
}

/**
 * Open model (constant arrival rate): requests start on a fixed schedule whether or not
 * earlier ones have finished, and each latency is measured from its scheduled start, so
 * a stalled server cannot hide its stall (no coordinated omission).
 */
export async function openLoop(o: {
  pool: Pool;
  path: string;
  expectStatus: number;
  ratePerSec: number;
  durationMs: number;
  next: NextBody;
  /** Arrivals beyond this many in flight are counted as missed instead of queued forever. */
  maxInFlight?: number;
  onTick?: (elapsedMs: number) => void;
  /** Record into this histogram (to merge several runs); a fresh one otherwise. */
  histogram?: Histogram;
}): Promise<PostResult> {
  const t: Tally = { ok: 0, items: 0, failed: {}, h: o.histogram ?? newHistogram() };
  const cap = o.maxInFlight ?? 10_000;
  const interval = 1000 / o.ratePerSec;
  const total = Math.floor((o.durationMs / 1000) * o.ratePerSec);
  const inFlight = new Set<Promise<void>>();
  let missed = 0;
  let sent = 0;
  let lastTick = 0;
  const t0 = performance.now();
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
    while (sent < due) {
      const scheduled = t0 + sent * interval;
      sent++;
      if (inFlight.size >= cap) {
        missed++;
        continue;
      }
      const req = o.next();
      if (!req) {
        missed++;
        continue;
      }
      const p = postOnce(o.pool, o.path, o.expectStatus, req, scheduled, t);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    if (o.onTick && now - lastTick > 250) {
      lastTick = now;
      o.onTick(now - t0);
    }
    // sleep until the next arrival is due (timers are ~1 ms coarse: several may be due at once)
    const wait = t0 + sent * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 50))));
  }
  await Promise.all(inFlight);
  const elapsedSec = (performance.now() - t0) / 1000;
  return { ...tallyResult(t), elapsedSec, missed };
}

function tallyResult(t: Tally): Omit<PostResult, 'elapsedSec' | 'missed'> {
  return { ok: t.ok, items: t.items, failed: t.failed, latency: summarize(t.h) };
}
