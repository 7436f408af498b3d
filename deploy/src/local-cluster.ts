import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES, type ServiceName } from '@komrade/protocol';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  CLUSTER_FILE_VERSION,
  readClusterFile,
  removeClusterFile,
  writeClusterFile,
  type ClusterFile,
  type MetricsEndpoint,
} from './cluster-file.js';
import { findFreePort } from './free-port.js';
import { describeExit, type ManagedProcess } from './managed-process.js';
import { isAlive } from './process-check.js';
import { startNatsServer } from './nats-server.js';
import { startRedisServer } from './redis-server.js';
import { keptRelayKey } from './relay-key.js';
import type { RunningServer } from './running-server.js';
import { requestHealth } from './service-health.js';
import { spawnService } from './service-process.js';
import { ClusterAlreadyRunningError, lockStateDir } from './state-lock.js';
import { reapStaleCluster } from './stale-cluster.js';
import { waitUntil } from './wait-until.js';

export interface LocalClusterOptions {
  /** Holds cluster.json, logs/ and the durable JetStream store (nats/). */
  readonly stateDir: string;
  /** Defaults to KOMRADE_RELAY_NAME from `env`, then "local". */
  readonly relayName?: string;
  /** Proof-of-work difficulty; defaults to KOMRADE_POSTAGE_BITS from `env`, then the operator's default. */
  readonly postageBits?: number;
  readonly logLevel?: string;
  /** Operator port on 127.0.0.1; by default the OS picks a free one (read back from the operator). */
  readonly operatorPort?: number;
  /**
   * Base environment for the services (other KOMRADE_* settings pass through to them);
   * the cluster sets the NATS and Redis URLs, relay name and operator address itself.
   */
  readonly env?: NodeJS.ProcessEnv;
  /** How long each service may take to answer its health check. */
  readonly startTimeoutMs?: number;
  /** Progress messages ("starting nats-server"); silent by default. */
  readonly onProgress?: (message: string) => void;
  /** Aborting gives up the start: whatever was started is stopped and the call rejects. */
  readonly signal?: AbortSignal;
  /**
   * The built web client the operator serves under `/`: KOMRADE_WEB_DIR from `env`, else
   * client/web/dist when it was built (npm start builds it); none when neither exists.
   */
  readonly webDir?: string;
}

export interface LocalCluster extends AsyncDisposable {
  readonly info: ClusterFile;
  readonly clusterFile: string;
  /** Services first (operator, then the rest), then Redis and NATS; removes cluster.json. */
  stop(): Promise<void>;
  /** Resolves with the name of the first service that exits on its own. */
  readonly unexpectedExit: Promise<ServiceName>;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;

/**
 * Starts a whole relay on this machine: nats-server (JetStream, public data under
 * `<stateDir>/nats`), redis-server (memory only), then operator, sorter, vouch and purge
 * as separate `node` processes, and waits until each answers its health check over NATS.
 * On any failure it stops whatever it started before rethrowing.
 */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const stateDir = resolve(o.stateDir);
  const logsDir = join(stateDir, 'logs');
  const progress = o.onProgress ?? (() => undefined);
  const baseEnv = o.env ?? process.env;
  const relay = o.relayName ?? nonEmpty(baseEnv['KOMRADE_RELAY_NAME']) ?? 'local';

  await mkdir(logsDir, { recursive: true, mode: 0o700 });
  const unlock = await lockStateDir(stateDir);
  try {
    const previous = await readClusterFile(stateDir).catch(() => undefined);
    if (previous) {
      if (previous.supervisor.pid !== process.pid && isAlive(previous.supervisor.pid))
        throw new ClusterAlreadyRunningError(stateDir, previous.supervisor.pid);
      // Its supervisor died without cleaning up (SIGKILL, power loss): stop what it left.
      const reaped = await reapStaleCluster(previous);
      if (reaped.length > 0)
        progress(`stopped ${String(reaped.length)} processes left by an earlier run`);
      await removeClusterFile(stateDir);
    }
    return await startLocked(o, { stateDir, logsDir, relay, baseEnv, progress, unlock });
  } catch (e) {
    await unlock();
    throw e;
  }
}

interface StartContext {
  readonly stateDir: string;
  readonly logsDir: string;
  readonly relay: string;
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly progress: (message: string) => void;
  readonly unlock: () => Promise<void>;
}

async function startLocked(o: LocalClusterOptions, ctx: StartContext): Promise<LocalCluster> {
  const { stateDir, logsDir, relay, baseEnv, progress } = ctx;
  let nats: RunningServer | undefined;
  let redis: RunningServer | undefined;
  let nc: NatsConnection | undefined;
  const procs = new Map<ServiceName, ManagedProcess>();
  const stopAll = async (): Promise<void> => {
    await nc?.close().catch(() => undefined);
    const operator = procs.get('operator');
    if (operator) await operator.stop();
    await Promise.all([...procs.values()].map((p) => p.stop()));
    await redis?.stop();
    await nats?.stop();
  };

  const checkAborted = (): void => {
    if (o.signal?.aborted) throw new Error('start cancelled');
  };
  try {
    checkAborted();
    progress('starting nats-server');
    nats = await startNatsServer({
      dataDir: join(stateDir, 'nats'),
      jetstream: true,
      logFile: join(logsDir, 'nats-server.log'),
    });
    checkAborted();
    progress('starting redis-server');
    redis = await startRedisServer({ logFile: join(logsDir, 'redis-server.log') });

    const webDir = o.webDir ?? nonEmpty(baseEnv['KOMRADE_WEB_DIR']) ?? builtWebDir();
    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      KOMRADE_VOUCH_SECRET: await vouchSecret(stateDir, baseEnv),
      KOMRADE_RELAY_KEY: await keptRelayKey(stateDir, baseEnv),
      KOMRADE_NATS_URLS: nats.url,
      KOMRADE_REDIS_URL: redis.url,
      KOMRADE_RELAY_NAME: relay,
      KOMRADE_OPERATOR_HOST: '127.0.0.1',
      KOMRADE_OPERATOR_PORT: String(
        o.operatorPort ?? nonEmpty(baseEnv['KOMRADE_OPERATOR_PORT']) ?? 0,
      ),
      ...(o.postageBits !== undefined ? { KOMRADE_POSTAGE_BITS: String(o.postageBits) } : {}),
      ...(webDir !== undefined ? { KOMRADE_WEB_DIR: webDir } : {}),
      ...(o.logLevel !== undefined ? { KOMRADE_LOG_LEVEL: o.logLevel } : {}),
    };

    // Each service gets its own Prometheus endpoint on loopback (a free port each; a
    // KOMRADE_METRICS_PORT in the environment would make them collide).
    const metricsPorts = await distinctFreePorts(SERVICES, [nats.port, redis.port]);

    let operatorUrl: string | undefined;
    for (const service of SERVICES) {
      checkAborted();
      progress(`starting ${service}`);
      procs.set(
        service,
        await spawnService(service, {
          env: {
            ...env,
            KOMRADE_METRICS_HOST: METRICS_HOST,
            KOMRADE_METRICS_PORT: String(metricsPorts[service]),
          },
          logFile: join(logsDir, `${service}.log`),
          ...(service === 'operator'
            ? { onStdoutLine: (line: string) => (operatorUrl ??= listenUrl(line)) }
            : {}),
        }),
      );
    }

    nc = await connect({ servers: nats.url, name: 'komrade-deploy' });
    const timeoutMs = o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    for (const service of SERVICES) {
      const proc = mustGet(procs, service);
      const conn = nc;
      await waitUntil(
        async () => {
          const h = await requestHealth(conn, service);
          return h?.ok && h.ready ? h : undefined;
        },
        {
          what: `${service} to answer its health check`,
          timeoutMs,
          intervalMs: 100,
          failFast: () => {
            if (o.signal?.aborted) return new Error('start cancelled');
            const s = proc.exitStatus();
            return s
              ? serviceFailure(service, `exited during start (${describeExit(s)})`, proc)
              : undefined;
          },
        },
      ).catch((e: unknown) => {
        if (o.signal?.aborted || (e instanceof Error && e.name === 'ServiceStartError')) throw e;
        throw serviceFailure(
          service,
          `did not answer its health check within ${String(timeoutMs / 1000)} s`,
          proc,
        );
      });
      progress(`${service} is healthy`);
    }
    const operatorProc = mustGet(procs, 'operator');
    const url = await waitUntil(async () => Promise.resolve(operatorUrl), {
      what: 'the operator to report its listen address',
      timeoutMs: 5000,
    }).catch(() => {
      throw serviceFailure('operator', 'did not print its listen address', operatorProc);
    });
    if (webDir !== undefined) progress(`web client at ${url}/ (open it in a browser)`);
    await nc.close();
    nc = undefined;
    // A service that exports no metrics leaves its port unbound: recorded as null.
    const metrics = await probeMetricsEndpoints(metricsPorts);

    const info: ClusterFile = {
      version: CLUSTER_FILE_VERSION,
      relay,
      startedAt: new Date().toISOString(),
      stateDir,
      logsDir,
      supervisor: { pid: process.pid },
      operator: { url, pid: operatorProc.pid },
      nats: { url: nats.url, port: nats.port, pid: nats.pid },
      redis: { url: redis.url, port: redis.port, pid: redis.pid },
      services: {
        operator: { pid: operatorProc.pid, metrics: metrics.operator },
        sorter: { pid: mustGet(procs, 'sorter').pid, metrics: metrics.sorter },
        vouch: { pid: mustGet(procs, 'vouch').pid, metrics: metrics.vouch },
        purge: { pid: mustGet(procs, 'purge').pid, metrics: metrics.purge },
      },
    };
    const clusterFile = await writeClusterFile(stateDir, info);

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await stopAll();
        await removeClusterFile(stateDir);
        await ctx.unlock();
      })();
      return stopping;
    };
    const unexpectedExit = Promise.race(
      [...procs].map(([service, p]) => p.exited.then(() => service)),
    ).then(async (service) => {
      // When we are stopping, every service exits: that is no surprise.
      if (stopping) await new Promise<never>(() => undefined);
      return service;
    });
    return { info, clusterFile, stop, unexpectedExit, [Symbol.asyncDispose]: stop };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

const METRICS_HOST = '127.0.0.1';
/** Every service registers this gauge (services/runtime/src/telemetry.ts). */
const METRICS_PROBE_NAME = 'komrade_process_resident_memory_bytes';
const METRICS_PROBE_TIMEOUT_MS = 10_000;

type PerService<T> = { [S in ServiceName]: T };

/** One free loopback port per service, distinct from each other and from `taken`. */
async function distinctFreePorts(
  services: readonly ServiceName[],
  taken: readonly number[],
): Promise<PerService<number>> {
  const used = new Set(taken);
  const out: Partial<PerService<number>> = {};
  for (const service of services) {
    let port = await findFreePort(METRICS_HOST);
    for (let tries = 0; used.has(port) && tries < 20; tries++)
      port = await findFreePort(METRICS_HOST);
    used.add(port);
    out[service] = port;
  }
  return out as PerService<number>;
}

/**
 * Which services serve Prometheus metrics on the port they were given: called once every
 * service is healthy (each starts its metrics endpoint before it answers health checks).
 * A service without telemetry leaves its port closed and gets null.
 */
async function probeMetricsEndpoints(
  ports: PerService<number>,
): Promise<PerService<MetricsEndpoint | null>> {
  const entries = await Promise.all(
    SERVICES.map(async (service): Promise<[ServiceName, MetricsEndpoint | null]> => {
      const port = ports[service];
      const url = `http://${METRICS_HOST}:${String(port)}/metrics`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(METRICS_PROBE_TIMEOUT_MS) });
        const text = await res.text();
        return [service, res.ok && text.includes(METRICS_PROBE_NAME) ? { url, port } : null];
      } catch {
        return [service, null];
      }
    }),
  );
  return Object.fromEntries(entries) as PerService<MetricsEndpoint | null>;
}

/** A service that failed to start, with the last lines it wrote. */
function serviceFailure(service: ServiceName, what: string, proc: ManagedProcess): Error {
  const tail = proc.tail(15).trim();
  const e = new Error(
    `${service} ${what}.${tail ? `\nLast lines of its output:\n${indent(tail)}` : ''}`,
  );
  e.name = 'ServiceStartError';
  return e;
}

/** The operator prints one JSON line with a `listen` field once it listens. */
function listenUrl(line: string): string | undefined {
  if (!line.includes('"listen"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { listen?: unknown };
    return typeof parsed.listen === 'string' ? parsed.listen : undefined;
  } catch {
    return undefined;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** client/web/dist in this checkout, if the web client was built. */
function builtWebDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../../client/web/dist', import.meta.url));
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/**
 * The vouch secret (SPEC 20.7): the environment's if set, else the one kept in
 * `<stateDir>/vouch-secret`, made once (32 random bytes, hex, mode 0600) so that vouch
 * tokens stored in the state directory's JetStream keep matching across restarts.
 */
async function vouchSecret(stateDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const given = nonEmpty(env['KOMRADE_VOUCH_SECRET']);
  if (given !== undefined) return given;
  const file = join(stateDir, 'vouch-secret');
  const fresh = randomBytes(32).toString('hex');
  try {
    await writeFile(file, `${fresh}\n`, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const kept = (await readFile(file, 'utf8')).trim();
  if (!/^[0-9a-fA-F]{64}$/.test(kept)) throw new Error(`${file} must hold 64 hex digits`);
  return kept;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function mustGet<K, V>(m: Map<K, V>, k: K): V {
  const v = m.get(k);
  if (v === undefined) throw new Error(`internal: ${String(k)} missing`);
  return v;
}
