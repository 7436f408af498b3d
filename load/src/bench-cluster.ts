import {
  findFreePort,
  requestHealth,
  serviceMainPath,
  spawnManaged,
  startNatsServer,
  startRedisServer,
  waitUntil,
  type ManagedProcess,
  type RunningServer,
} from '@komrade/deploy';
import { SERVICES, type ServiceName } from '@komrade/protocol';
import { connect } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export interface BenchServers {
  readonly nats: RunningServer;
  readonly redis: RunningServer;
  stop(): Promise<void>;
}

/** nats-server (JetStream) and redis-server for this run, on random loopback ports. */
export async function startServers(): Promise<BenchServers> {
  const nats = await startNatsServer({ jetstream: true, memoryStoreBytes: 4 * 1024 ** 3 });
  let redis: RunningServer;
  try {
    redis = await startRedisServer();
  } catch (e) {
    await nats.stop();
    throw e;
  }
  return {
    nats,
    redis,
    async stop() {
      await redis.stop();
      await nats.stop();
    },
  };
}

export interface BenchRelay {
  readonly relayName: string;
  readonly operatorUrl: string;
  readonly metricsUrls: Record<ServiceName, string>;
  readonly procs: Record<ServiceName, ManagedProcess>;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export interface RelayProcessOptions {
  readonly postageBits: number;
  /** Extra `node` arguments for every service, e.g. --cpu-prof (not allowed in NODE_OPTIONS). */
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts operator, sorter, purge and vouch, each as its own `node` process (their real
 * main.js), so the runner's CPU is not counted in theirs, and waits for every health
 * check. Settings that would otherwise end a benchmark early are raised and recorded:
 * the postage governor is off (fixed difficulty), mailbox quota and stream size are large.
 */
export async function startRelayProcesses(
  servers: BenchServers,
  o: RelayProcessOptions,
): Promise<BenchRelay> {
  const relayName = 'bench';
  const operatorPort = await findFreePort();
  const env: Record<string, string> = {
    KOMRADE_NATS_URLS: servers.nats.url,
    KOMRADE_REDIS_URL: servers.redis.url,
    KOMRADE_RELAY_NAME: relayName,
    KOMRADE_LOG_LEVEL: 'warn',
    KOMRADE_OPERATOR_HOST: '127.0.0.1',
    KOMRADE_OPERATOR_PORT: String(operatorPort),
    KOMRADE_POSTAGE_BITS: String(o.postageBits),
    KOMRADE_POSTAGE_AUTO: 'false',
    KOMRADE_MAILBOX_QUOTA: '1000000',
    KOMRADE_MAIL_STREAM_MAX_BYTES: String(2 * 1024 ** 3),
    KOMRADE_SESSION_TTL_SEC: '3600',
    // a 1,000-member collective's record makes each join and vouch slower than the
    // default request timeout allows on 2 shared cores (the collectives tests raise it too)
    KOMRADE_REQUEST_TIMEOUT_MS: '20000',
    // vouch needs a secret for its vouch tokens; a bench relay lives for one run
    KOMRADE_VOUCH_SECRET: randomBytes(32).toString('hex'),
  };
  const procs: Partial<Record<ServiceName, ManagedProcess>> = {};
  const metricsUrls: Partial<Record<ServiceName, string>> = {};
  const stopAll = async (): Promise<void> => {
    // operator first so nothing new comes in, then the rest
    const order: ServiceName[] = ['operator', 'sorter', 'purge', 'vouch'];
    for (const s of order) await procs[s]?.stop();
  };
  try {
    for (const service of SERVICES) {
      const metricsPort = await findFreePort();
      metricsUrls[service] = `http://127.0.0.1:${metricsPort}/metrics`;
      procs[service] = await spawnManaged({
        name: service,
        command: process.execPath,
        args: [...(o.nodeArgs ?? []), serviceMainPath(service)],
        env: { PATH: process.env['PATH'] ?? '', ...env, KOMRADE_METRICS_PORT: String(metricsPort) },
      });
    }
    const nc = await connect({ servers: servers.nats.url });
    try {
      for (const service of SERVICES) {
        const p = procs[service] as ManagedProcess;
        await waitUntil(
          async () => ((await requestHealth(nc, service, 500))?.ready ? true : undefined),
          {
            what: `${service} to answer its health check`,
            timeoutMs: 30_000,
            failFast: () => {
              const s = p.exitStatus();
              return s ? new Error(`${service} exited during start:\n${p.tail(20)}`) : undefined;
            },
          },
        );
      }
    } finally {
      await nc.close();
    }
    const operatorUrl = `http://127.0.0.1:${operatorPort}`;
    await waitUntil(
      async () => {
        try {
          return (await fetch(`${operatorUrl}/v1/info`)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      { what: 'the operator to answer HTTP', timeoutMs: 30_000 },
    );
    return {
      relayName,
      operatorUrl,
      metricsUrls: metricsUrls as Record<ServiceName, string>,
      procs: procs as Record<ServiceName, ManagedProcess>,
      env,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

export interface BareServer {
  readonly url: string;
  readonly proc: ManagedProcess;
  stop(): Promise<void>;
}

/** The baseline fastify server (bare-server.ts) in its own process. */
export async function startBareServer(): Promise<BareServer> {
  let port: number | undefined;
  const proc = await spawnManaged({
    name: 'bare-fastify',
    command: process.execPath,
    args: [fileURLToPath(new URL('./bare-server.js', import.meta.url))],
    env: { PATH: process.env['PATH'] ?? '' },
    onStdoutLine: (line) => {
      try {
        const j = JSON.parse(line) as { port?: unknown };
        if (typeof j.port === 'number') port = j.port;
      } catch {
        // not our line
      }
    },
  });
  try {
    const p = await waitUntil(async () => port, {
      what: 'the bare fastify server to listen',
      timeoutMs: 15_000,
      failFast: () =>
        proc.exitStatus() ? new Error(`bare server exited:\n${proc.tail(20)}`) : undefined,
    });
    return {
      url: `http://127.0.0.1:${p}`,
      proc,
      async stop() {
        await proc.stop();
      },
    };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}
