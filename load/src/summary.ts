import type { CollectiveFanoutResult } from './collective-fanout.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { LatencySummary } from './http-load.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { RssSeries } from './proc-stats.js';

export interface MachineFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
}

export function machineFacts(): MachineFacts {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

export interface LatencyAtLoad {
  /** Fraction of the measured maximum (0.5, 0.9). */
  readonly load: number;
  readonly rateRps: number;
  readonly komrade: LatencySummary;
  /** The bare fastify server at the same arrival rate, same client. */
  readonly bare: LatencySummary;
  /** komrade.p99Ms / bare.p99Ms. */
  readonly p99Ratio: number;
  readonly accepted: number;
  readonly failed: Record<string, number>;
  readonly missed: number;
}

/**
 * What `npm run bench` writes to load/results/<timestamp>.json and latest.json. Every
 * ratio is computed from the two figures next to it, in this run, unrounded.
 */
export interface BenchSummary {
  readonly schema: 1;
  readonly quick: boolean;
  readonly machine: MachineFacts;
  readonly options: Record<string, unknown>;
  /** Accepted envelopes/s, one envelope per POST, closed model; 202 only after JetStream stored it. */
  readonly ingestRps: number;
  /** Bare fastify 202 req/s for a 1 KiB POST, same client and concurrency. */
  readonly bareRps: number;
  /** ingestRps / bareRps. */
  readonly ingestRatio: number;
  readonly ingestLatency: LatencySummary;
  readonly bareLatency: LatencySummary;
  readonly ingestFailed: Record<string, number>;
  /** Accepted envelopes/s with `batch` envelopes per POST. */
  readonly batchedIngestEps: number;
  readonly batch: number;
  /** batchedIngestEps / natsPublishRps. */
  readonly batchedIngestRatio: number;
  /** Written into Redis mailboxes by the sorter per second, from the start of max ingest until drained. */
  readonly deliveredDps: number;
  /** deliveredDps / redisRpushRps. */
  readonly deliveredRatio: number;
  readonly redisRpushRps: number;
  readonly redisLpopRps: number;
  readonly redisBenchmarkCommand: string;
  readonly natsPublishRps: number;
  readonly p99MsAtHalfLoad: number;
  readonly p99MsAtNinetyLoad: number;
  readonly latency: readonly LatencyAtLoad[];
  /** Messages fetched and acked per second (KomradeClient.fetchPage + ack, no decryption). */
  readonly fetchAckMps: number;
  /** fetchAckMps / redisLpopRps. */
  readonly fetchAckRatio: number;
  /**
   * Member-mailbox deliveries/s of posts to a real collective (`fanout.members` members:
   * 1,000, quick 200) through POST /v1/fanout and the sorter; null only if not measured.
   */
  readonly fanoutDps: number | null;
  /** fanoutDps / redisRpushRps, or null with fanoutDps. */
  readonly fanoutRatio: number | null;
  readonly fanoutNote: string;
  /** The real fan-out phase behind fanoutDps: size, timing and its own loss check. */
  readonly fanout: CollectiveFanoutResult | null;
  readonly fanoutEmulation: {
    readonly members: number;
    readonly posts: number;
    readonly deliveriesPerSec: number;
    /** deliveriesPerSec / redisRpushRps. */
    readonly ratio: number;
    readonly method: string;
  };
  /**
   * The same harness as fanoutEmulation with one RPUSH per member and nothing else: what
   * any fan-out writing once per member from a Redis script can reach on this machine.
   */
  readonly fanoutWriteCeiling: {
    readonly members: number;
    readonly posts: number;
    readonly deliveriesPerSec: number;
    /** deliveriesPerSec / redisRpushRps. */
    readonly ratio: number;
    readonly method: string;
  };
  /** Redis INFO used_memory delta per queued message. */
  readonly redisBytesPerMessage: number;
  readonly envelopeBytes: number;
  /** redisBytesPerMessage / envelopeBytes. */
  readonly redisMemoryRatio: number;
  readonly queuedForMemory: number;
  readonly soak: {
    readonly seconds: number;
    readonly rateRps: number;
    readonly accepted: number;
    readonly fetched: number;
    readonly failed: Record<string, number>;
    /** Fetch or ack calls of the soak's readers that failed (their mail is fetched later). */
    readonly fetchErrors: number;
    readonly latency: LatencySummary;
    readonly rss: Record<string, RssSeries>;
    /** True when any relay service's RSS grew (see RssSeries.grew). */
    readonly grew: boolean;
  };
  /** CPU used during max ingest, as a fraction of one core, per process. */
  readonly cpuDuringIngest: Record<string, number>;
  readonly postageHashesPerSec: number;
  readonly envelopes: { readonly sealed: number; readonly synthetic: number };
  readonly loss: {
    /** Envelopes answered 202, whole run. */
    readonly accepted: number;
    /** At the check after the first drain: accepted so far, in mailboxes, still in JetStream. */
    readonly checkpoint: {
      readonly accepted: number;
      readonly delivered: number;
      readonly stillQueued: number;
      readonly balanced: boolean;
    };
    readonly fetched: number;
    readonly unexpected: number;
    readonly leftover: { readonly redisMailKeys: number; readonly jetstreamMessages: number };
  };
  readonly lost: number;
  readonly duplicated: number;
  readonly targets: Record<string, { readonly target: string; readonly met: boolean | null }>;
  /** With --cpu-prof: where each service spent its CPU over the whole run. */
  readonly profile?: Record<string, ProfileSummary>;
  readonly caveats: readonly string[];
  readonly elapsedSec: number;
}

/** Names every latest.json must carry (the contract), for tests and consumers. */
export const REQUIRED_FIELDS = [
  'ingestRps',
  'bareRps',
  'ingestRatio',
  'p99MsAtHalfLoad',
  'fanoutDps',
  'redisRpushRps',
  'fanoutRatio',
  'fetchAckMps',
  'lost',
  'duplicated',
  'machine',
] as const;

export async function writeSummary(
  dir: string,
  s: BenchSummary,
): Promise<{ file: string; latest: string }> {
  await mkdir(dir, { recursive: true });
  const stamp = s.machine.date.replace(/[:.]/g, '-');
  const file = join(dir, `${stamp}.json`);
  const latest = join(dir, 'latest.json');
  const text = `${JSON.stringify(s, null, 2)}\n`;
  await writeFile(file, text);
  await writeFile(latest, text);
  return { file, latest };
}

const fmt = (n: number | null, digits = 0): string =>
  n === null
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The terminal table: figure, Komrade, baseline, ratio, target. */
export function renderTable(s: BenchSummary): string {
  const rows: string[][] = [['figure', 'komrade', 'baseline', 'ratio', 'target']];
  const half = s.latency.find((l) => l.load === 0.5);
  const ninety = s.latency.find((l) => l.load === 0.9);
  rows.push(
    [
      'ingest, 1 envelope/POST (env/s)',
      fmt(s.ingestRps),
      `${fmt(s.bareRps)} bare fastify`,
      fmt(s.ingestRatio, 2),
      s.targets['ingestRatio']?.target ?? '',
    ],
    [
      `ingest, ${s.batch} envelopes/POST (env/s)`,
      fmt(s.batchedIngestEps),
      `${fmt(s.natsPublishRps)} NATS publish`,
      fmt(s.batchedIngestRatio, 2),
      '',
    ],
    [
      'delivered to mailboxes (env/s)',
      fmt(s.deliveredDps),
      `${fmt(s.redisRpushRps)} RPUSH`,
      fmt(s.deliveredRatio, 2),
      '',
    ],
  );
  for (const l of [half, ninety]) {
    if (!l) continue;
    rows.push([
      `p50/p95/p99 ms at ${l.load * 100}% (${fmt(l.rateRps)}/s)`,
      `${fmt(l.komrade.p50Ms, 1)}/${fmt(l.komrade.p95Ms, 1)}/${fmt(l.komrade.p99Ms, 1)}`,
      `${fmt(l.bare.p50Ms, 1)}/${fmt(l.bare.p95Ms, 1)}/${fmt(l.bare.p99Ms, 1)} bare`,
      fmt(l.p99Ratio, 1),
      l.load === 0.5 ? (s.targets['p99MsAtHalfLoad']?.target ?? '') : '',
    ]);
  }
  rows.push(
    [
      'fetch + ack (msg/s)',
      fmt(s.fetchAckMps),
      `${fmt(s.redisLpopRps)} LPOP`,
      fmt(s.fetchAckRatio, 2),
      '',
    ],
    [
      `fan-out, ${s.fanout ? s.fanout.members.toLocaleString('en-US') : '?'} members (deliveries/s)`,
      fmt(s.fanoutDps),
      `${fmt(s.redisRpushRps)} RPUSH`,
      fmt(s.fanoutRatio, 2),
      s.targets['fanoutRatio']?.target ?? '',
    ],
    [
      '  emulated store-script fan-out',
      fmt(s.fanoutEmulation.deliveriesPerSec),
      `${fmt(s.redisRpushRps)} RPUSH`,
      fmt(s.fanoutEmulation.ratio, 2),
      'upper bound',
    ],
    [
      '  one RPUSH per member from Lua',
      fmt(s.fanoutWriteCeiling.deliveriesPerSec),
      `${fmt(s.redisRpushRps)} RPUSH`,
      fmt(s.fanoutWriteCeiling.ratio, 2),
      'write-once ceiling',
    ],
    [
      'Redis bytes per queued message',
      fmt(s.redisBytesPerMessage),
      `${fmt(s.envelopeBytes)} envelope`,
      fmt(s.redisMemoryRatio, 2),
      '',
    ],
  );
  for (const [name, r] of Object.entries(s.soak.rss))
    rows.push([
      `RSS ${name} over ${fmt(s.soak.seconds)} s soak (MiB)`,
      `${fmt(r.startMiB, 1)} -> ${fmt(r.endMiB, 1)} (max ${fmt(r.maxMiB, 1)})`,
      `${fmt(r.growthMiBPerMin, 2)} MiB/min`,
      r.grew ? 'GREW' : 'flat',
      '',
    ]);
  rows.push(
    [
      'loss check (lost / duplicated)',
      `${fmt(s.lost)} / ${fmt(s.duplicated)}`,
      `${fmt(s.loss.accepted)} accepted`,
      '',
      '0 / 0',
    ],
    ['postage hashes/s (1 thread)', fmt(s.postageHashesPerSec), '', '', ''],
  );
  const table = (rs: string[][]): string => {
    const widths = rs[0]?.map((_, c) => Math.max(...rs.map((r) => (r[c] ?? '').length))) ?? [];
    const line = (r: string[]): string =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd();
    const sep = widths.map((w) => '-'.repeat(w)).join('  ');
    return [line(rs[0] ?? []), sep, ...rs.slice(1).map(line)].join('\n');
  };
  let text = table(rows);
  for (const [svc, p] of Object.entries(s.profile ?? {})) {
    text += `\n\n${svc}: CPU profile (${fmt(p.sampledSec, 1)} s sampled), self time by package\n`;
    text += p.byPackage.map((c) => `  ${fmt(c.selfPct, 1).padStart(5)}%  ${c.name}`).join('\n');
    text += '\n  top functions\n';
    text += p.topFunctions.map((c) => `  ${fmt(c.selfPct, 1).padStart(5)}%  ${c.name}`).join('\n');
  }
  return text;
}
