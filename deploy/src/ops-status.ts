import { resolve } from 'node:path';
import { SERVICES, SUBJECTS } from '@komrade/protocol';
import type { OpsPingReply } from '@komrade/service-runtime';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { clusterFilePath, readClusterFile } from './cluster-file.js';

/** How long `komrade-ops status` collects ping replies by default. */
export const DEFAULT_STATUS_WAIT_MS = 1000;
const CONNECT_TIMEOUT_MS = 5000;

/** Where the NATS URLs came from, for messages (never includes a password). */
export interface NatsTarget {
  readonly servers: readonly string[];
  readonly source: string;
}

/** Why the command cannot do its job: printed as one line, exit code 1. */
export class OpsStatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsStatusError';
  }
}

/**
 * The NATS URLs to ask, in order of precedence: `--nats`, KOMRADE_NATS_URLS (both a
 * comma-separated list), then the `nats.url` of a running local cluster's
 * `$KOMRADE_STATE_DIR/cluster.json` (default `./.komrade`, relative to `cwd`).
 */
export async function resolveNatsTarget(o: {
  readonly nats?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}): Promise<NatsTarget> {
  if (o.nats !== undefined) return { servers: urlList(o.nats, '--nats'), source: '--nats' };
  const fromEnv = o.env['KOMRADE_NATS_URLS'];
  if (fromEnv)
    return {
      servers: urlList(fromEnv, 'KOMRADE_NATS_URLS'),
      source: 'KOMRADE_NATS_URLS',
    };
  const stateDir = resolve(o.cwd, o.env['KOMRADE_STATE_DIR'] || '.komrade');
  const path = clusterFilePath(stateDir);
  let cluster: Awaited<ReturnType<typeof readClusterFile>>;
  try {
    cluster = await readClusterFile(stateDir);
  } catch (e) {
    throw new OpsStatusError(`${path} is not readable JSON: ${errorText(e)}`);
  }
  if (!cluster)
    throw new OpsStatusError(
      `no NATS URL: pass --nats nats://host:port, set KOMRADE_NATS_URLS, or start a ` +
        `local relay with "npm start" (no ${path})`,
    );
  if (typeof cluster.nats?.url !== 'string') throw new OpsStatusError(`${path} has no nats.url`);
  return { servers: urlList(cluster.nats.url, path), source: path };
}

/** A comma-separated list of nats:// (tls://, ws://, wss://) URLs; throws if malformed. */
export function urlList(text: string, source: string): string[] {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new OpsStatusError(`${source}: no NATS URL given`);
  for (const u of urls)
    if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(u))
      throw new OpsStatusError(`${source}: "${redactUrl(u)}" is not a nats://host:port URL`);
  return urls;
}

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  if (!/\/\/[^@/]*@/.test(url)) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else u.username = '***'; // a token
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * One instance's reply, with its endpoint counts added up. `service` is any string: a
 * service this tool does not know yet is listed too.
 */
export interface InstanceStatus extends Omit<OpsPingReply, 'service'> {
  readonly service: string;
  /** Requests handled over NATS, all endpoints (health and ops pings not counted). */
  readonly requests: number;
  /** Of those, the ones answered with an error. */
  readonly errors: number;
}

export interface StatusReport {
  /** Sorted by service (operator, sorter, vouch, purge, then any other) and instance. */
  readonly instances: readonly InstanceStatus[];
  /** Known services of which no instance answered. */
  readonly missing: readonly string[];
  /** Instances that answered but are not ready (`service/instance`). */
  readonly notReady: readonly string[];
  /** Replies that were not ops ping replies (ignored). */
  readonly malformed: number;
  readonly waitedMs: number;
}

/**
 * Connects to NATS, sends one `komrade.v1.ops.ping` (every instance of every service
 * answers it: no queue group), collects replies for `waitMs`, and closes.
 */
export async function collectStatus(
  target: NatsTarget,
  o: { readonly waitMs?: number } = {},
): Promise<StatusReport> {
  const waitMs = o.waitMs ?? DEFAULT_STATUS_WAIT_MS;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...target.servers],
      name: 'komrade-ops',
      timeout: CONNECT_TIMEOUT_MS,
      reconnect: false,
    });
  } catch (e) {
    throw new OpsStatusError(
      `cannot reach NATS at ${target.servers.map(redactUrl).join(', ')} ` +
        `(from ${target.source}): ${errorText(e)}`,
    );
  }
  const replies: unknown[] = [];
  let malformed = 0;
  try {
    const it = await nc.requestMany(SUBJECTS.opsPing, '', { strategy: 'timer', maxWait: waitMs });
    try {
      for await (const m of it) {
        try {
          replies.push(m.json());
        } catch {
          malformed++;
        }
      }
    } catch (e) {
      // "no responders": nobody subscribes to the subject; anything else is a failure
      if (!isNoResponders(e)) throw e;
    }
  } catch (e) {
    throw new OpsStatusError(`ops ping failed: ${errorText(e)}`);
  } finally {
    await nc.close().catch(() => undefined);
  }
  const instances: InstanceStatus[] = [];
  for (const r of replies) {
    const parsed = parsePingReply(r);
    if (parsed) instances.push(parsed);
    else malformed++;
  }
  instances.sort(compareInstances);
  const seen = new Set(instances.map((i) => i.service));
  return {
    instances,
    missing: SERVICES.filter((s) => !seen.has(s)),
    notReady: instances.filter((i) => !i.ready).map((i) => `${i.service}/${i.instance}`),
    malformed,
    waitedMs: waitMs,
  };
}

function isNoResponders(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  return /no ?responders|503/i.test(text);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Validates one reply off the wire; undefined when it is not an OpsPingReply. */
export function parsePingReply(v: unknown): InstanceStatus | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (
    typeof r['service'] !== 'string' ||
    typeof r['instance'] !== 'string' ||
    typeof r['version'] !== 'string' ||
    typeof r['ok'] !== 'boolean' ||
    typeof r['ready'] !== 'boolean' ||
    !isCount(r['uptimeSec']) ||
    !isCount(r['rssBytes']) ||
    typeof r['endpoints'] !== 'object' ||
    r['endpoints'] === null
  )
    return undefined;
  const endpoints: Record<string, { requests: number; errors: number; avgMs: number }> = {};
  let requests = 0;
  let errors = 0;
  for (const [subject, e] of Object.entries(r['endpoints'] as Record<string, unknown>)) {
    if (typeof e !== 'object' || e === null) return undefined;
    const c = e as Record<string, unknown>;
    if (!isCount(c['requests']) || !isCount(c['errors']) || !isCount(c['avgMs'])) return undefined;
    endpoints[subject] = { requests: c['requests'], errors: c['errors'], avgMs: c['avgMs'] };
    requests += c['requests'];
    errors += c['errors'];
  }
  return {
    service: r['service'],
    instance: r['instance'],
    version: r['version'],
    ok: r['ok'],
    ready: r['ready'],
    uptimeSec: r['uptimeSec'],
    rssBytes: r['rssBytes'],
    endpoints,
    requests,
    errors,
  };
}

function compareInstances(a: InstanceStatus, b: InstanceStatus): number {
  const rank = (s: string): number => {
    const i = (SERVICES as readonly string[]).indexOf(s);
    return i < 0 ? SERVICES.length : i;
  };
  return (
    rank(a.service) - rank(b.service) ||
    a.service.localeCompare(b.service) ||
    a.instance.localeCompare(b.instance)
  );
}

/** `3d04h`, `2h05m`, `7m03s`, `42s`. */
export function formatUptime(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (d > 0) return `${String(d)}d${pad(h)}h`;
  if (h > 0) return `${String(h)}h${pad(m)}m`;
  if (m > 0) return `${String(m)}m${pad(s % 60)}s`;
  return `${String(s)}s`;
}

/** `512 KiB`, `117.3 MiB`, `1.20 GiB`. */
export function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GiB`;
}

const COLUMNS = [
  { title: 'SERVICE', right: false },
  { title: 'INSTANCE', right: false },
  { title: 'VERSION', right: false },
  { title: 'UPTIME', right: true },
  { title: 'READY', right: false },
  { title: 'REQUESTS', right: true },
  { title: 'ERRORS', right: true },
  { title: 'RSS', right: true },
] as const;

/** The status table, one row per instance, columns padded to fit. */
export function formatTable(instances: readonly InstanceStatus[]): string {
  const rows = instances.map((i) => [
    i.service,
    i.instance,
    i.version,
    formatUptime(i.uptimeSec),
    i.ready ? 'yes' : 'NO',
    String(i.requests),
    String(i.errors),
    formatBytes(i.rssBytes),
  ]);
  const all = [COLUMNS.map((c) => c.title), ...rows];
  const widths = COLUMNS.map((_, k) => Math.max(...all.map((r) => (r[k] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, k) => {
          const w = widths[k] ?? 0;
          return COLUMNS[k]?.right ? cell.padStart(w) : cell.padEnd(w);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Per-endpoint counts: `service/instance  subject  requests  errors  avg ms`. */
export function formatEndpoints(instances: readonly InstanceStatus[]): string {
  const rows: string[][] = [['INSTANCE', 'ENDPOINT', 'REQUESTS', 'ERRORS', 'AVG MS']];
  for (const i of instances)
    for (const [subject, e] of Object.entries(i.endpoints).sort(([a], [b]) => a.localeCompare(b)))
      rows.push([
        `${i.service}/${i.instance}`,
        subject,
        String(e.requests),
        String(e.errors),
        e.avgMs.toFixed(2),
      ]);
  if (rows.length === 1) return 'No endpoint has handled a request yet.';
  const widths = [0, 1, 2, 3, 4].map((k) => Math.max(...rows.map((r) => (r[k] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, k) => (k >= 2 ? cell.padStart(widths[k] ?? 0) : cell.padEnd(widths[k] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.includes(code)
      ? `${e.message} (${code})`
      : e.message;
  }
  return String(e);
}
