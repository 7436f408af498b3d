import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  findBinary,
  findFreePort,
  spawnManaged,
  waitUntil,
  type ManagedProcess,
} from '@komrade/deploy';

export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  pid(): number | undefined;
  /** SIGKILL (a crash) or SIGTERM; the store directory is kept for a restart. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts the node again on the same ports and store. */
  start(): Promise<void>;
}

export interface NatsCluster {
  readonly urls: readonly string[];
  readonly nodes: readonly ClusterNode[];
  stop(): Promise<void>;
}

/**
 * A JetStream cluster of `size` nats-server nodes on 127.0.0.1 (fixed ports picked free
 * at start, so nodes can restart on them), full-mesh routes, stores in a temp dir.
 * Resolves once JetStream answers through every node.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const binary = findBinary('nats-server');
  const root = await mkdtemp(join(tmpdir(), 'komrade-natsc-'));
  // distinct ports (the OS may hand the same free port out twice in a row)
  const taken = new Set<number>();
  const port = async (): Promise<number> => {
    for (;;) {
      const p = await findFreePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  const specs: { name: string; client: number; route: number }[] = [];
  for (let i = 1; i <= size; i++)
    specs.push({ name: `n${i}`, client: await port(), route: await port() });
  const procs = new Map<string, ManagedProcess>();

  const startNode = async (s: (typeof specs)[number]): Promise<void> => {
    const dir = join(root, s.name);
    await mkdir(join(dir, 'js'), { recursive: true, mode: 0o700 });
    const routes = specs.filter((o) => o !== s).map((o) => `nats-route://127.0.0.1:${o.route}`);
    const conf = [
      `server_name: ${s.name}`,
      'host: "127.0.0.1"',
      `port: ${s.client}`,
      'jetstream {',
      `  store_dir: ${JSON.stringify(join(dir, 'js'))}`,
      '  max_memory_store: 268435456',
      '  max_file_store: 1073741824',
      '}',
      'cluster {',
      '  name: komrade',
      '  host: "127.0.0.1"',
      `  port: ${s.route}`,
      `  routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}]`,
      '}',
    ].join('\n');
    await writeFile(join(dir, 'nats.conf'), `${conf}\n`);
    procs.set(
      s.name,
      await spawnManaged({
        name: `nats-${s.name}`,
        command: binary,
        args: ['-c', join(dir, 'nats.conf')],
        cwd: dir,
      }),
    );
  };

  const jsReady = async (url: string): Promise<true | undefined> => {
    const nc = await connect({ servers: url, reconnect: false, timeout: 2000 });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2000 });
      await jsm.getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  };

  const stop = async (): Promise<void> => {
    await Promise.all([...procs.values()].map((p) => p.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const s of specs) await startNode(s);
    const urls = specs.map((s) => `nats://127.0.0.1:${s.client}`);
    // a node that exits at start (a port taken meanwhile) fails the wait at once, with its log
    const failFast = (): Error | undefined => {
      for (const [name, p] of procs)
        if (p.exitStatus())
          return new Error(`nats-server ${name} exited during start:\n${p.tail(10)}`);
      return undefined;
    };
    for (const u of urls)
      await waitUntil(() => jsReady(u), {
        what: `JetStream cluster through ${u}`,
        timeoutMs: 60_000,
        intervalMs: 250,
        failFast,
      });
    return {
      urls,
      nodes: specs.map((s) => ({
        name: s.name,
        url: `nats://127.0.0.1:${s.client}`,
        pid: () => procs.get(s.name)?.pid,
        async kill(signal = 'SIGKILL') {
          const p = procs.get(s.name);
          if (!p) return;
          if (signal === 'SIGKILL') process.kill(p.pid, 'SIGKILL');
          await (signal === 'SIGKILL' ? p.exited : p.stop());
          procs.delete(s.name);
        },
        async start() {
          await startNode(s);
          await waitUntil(() => jsReady(`nats://127.0.0.1:${s.client}`), {
            what: `${s.name} back in the cluster`,
            timeoutMs: 60_000,
            intervalMs: 250,
          });
        },
      })),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
