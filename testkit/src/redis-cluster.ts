import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  findBinary,
  findFreePort,
  redisArgs,
  spawnManaged,
  waitUntil,
  type ManagedProcess,
} from '@komrade/deploy';
import { Redis } from 'ioredis';
import type { ClusterNode } from './nats-cluster.js';

const run = promisify(execFile);

export interface RedisClusterNode extends ClusterNode {
  readonly port: number;
  /** 'master' or 'slave', as the node says now. */
  role(): Promise<string>;
}

export interface RedisCluster {
  /** Seed URLs for KOMRADE_REDIS_URL (with KOMRADE_REDIS_CLUSTER=true). */
  readonly urls: readonly string[];
  readonly nodes: readonly RedisClusterNode[];
  /** Resolves once every slot is served and the cluster reports ok. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /**
   * Resolves once the cluster has marked a killed node as failed and handed its slots to
   * a promoted replica (right after a kill the cluster still reports ok: the failure is
   * noticed only after the node timeout).
   */
  waitFailover(port: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster on 127.0.0.1: `masters` masters with one replica each, no persistence
 * (the cluster's own nodes.conf metadata lives in a temp dir). A killed master is
 * replaced by its replica after the node timeout; a restarted node rejoins as a replica.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const binary = findBinary('redis-server');
  const root = await mkdtemp(join(tmpdir(), 'komrade-redisc-'));
  const ports: number[] = [];
  while (ports.length < masters * 2) {
    // distinct ports (the OS may hand the same free port out twice in a row)
    const p = await findFreePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const procs = new Map<number, ManagedProcess>();

  const startNode = async (port: number): Promise<void> => {
    const dir = join(root, String(port));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const args = [
      ...redisArgs(port, dir),
      '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, 'nodes.conf'),
      '--cluster-node-timeout', '1500',
      '--cluster-replica-validity-factor', '0',
      // a full resync must not leave the master's data in a dump.rdb on the replica's disk
      '--repl-diskless-sync', 'yes',
      '--repl-diskless-sync-delay', '0',
      '--repl-diskless-load', 'swapdb',
    ]; // prettier-ignore
    procs.set(port, await spawnManaged({ name: `redis-${port}`, command: binary, args, cwd: dir }));
    await waitUntil(async () => ((await ping(port)) ? true : undefined), {
      what: `redis ${port}`,
      timeoutMs: 15_000,
    });
  };

  /**
   * A node without persistence comes back empty, so it must never again claim the slots
   * it once served: it returns as a brand-new node (fresh nodes.conf), the cluster forgets
   * its old identity, and it joins as a replica.
   */
  const rejoinAsReplica = async (port: number): Promise<void> => {
    const conf = join(root, String(port), 'nodes.conf');
    const oldId = /^(\w+) \S+ myself/m.exec(await readFile(conf, 'utf8').catch(() => ''))?.[1];
    await rm(conf, { force: true });
    const live = ports.filter((p) => p !== port && procs.has(p));
    if (oldId)
      for (const p of live) {
        const r = new Redis({
          port: p,
          host: '127.0.0.1',
          lazyConnect: true,
          maxRetriesPerRequest: 0,
        });
        r.on('error', () => undefined);
        try {
          await r.connect();
          await r.call('CLUSTER', 'FORGET', oldId).catch(() => undefined);
        } finally {
          r.disconnect();
        }
      }
    await startNode(port);
    // the master left without a replica (the one promoted in the failover) takes it
    let orphan: string | undefined;
    for (const p of live) {
      const info = await replicationInfo(p);
      if (/role:master/.test(info) && /connected_slaves:0\b/.test(info)) orphan = await nodeId(p);
    }
    const cli = findBinary('redis-server').replace(/redis-server$/, 'redis-cli');
    await run(cli, [
      '--cluster', 'add-node', `127.0.0.1:${port}`, `127.0.0.1:${String(live[0])}`, '--cluster-slave',
      ...(orphan ? ['--cluster-master-id', orphan] : []),
    ]); // prettier-ignore
    // wait until it has synced: writes that need a replica's WAIT depend on it
    await waitUntil(
      async () => (/master_link_status:up/.test(await replicationInfo(port)) ? true : undefined),
      { what: `redis ${port} to sync as a replica`, timeoutMs: 60_000, intervalMs: 200 },
    );
  };

  const clusterOk = async (): Promise<true | undefined> => {
    for (const port of ports) {
      if (!procs.has(port)) continue;
      const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      r.on('error', () => undefined);
      try {
        await r.connect();
        const info = (await r.call('CLUSTER', 'INFO')) as string;
        if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info))
          return undefined;
      } finally {
        r.disconnect();
      }
    }
    return true;
  };

  const stop = async (): Promise<void> => {
    await Promise.all([...procs.values()].map((p) => p.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const p of ports) await startNode(p);
    const cli = findBinary('redis-server').replace(/redis-server$/, 'redis-cli');
    await run(cli, [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await waitUntil(clusterOk, {
      what: 'Redis Cluster to report ok',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    return {
      urls: ports.map((p) => `redis://127.0.0.1:${p}`),
      nodes: ports.map((port) => ({
        name: `redis-${port}`,
        port,
        url: `redis://127.0.0.1:${port}`,
        pid: () => procs.get(port)?.pid,
        async role() {
          const r = new Redis({
            port,
            host: '127.0.0.1',
            lazyConnect: true,
            maxRetriesPerRequest: 0,
          });
          r.on('error', () => undefined);
          try {
            await r.connect();
            const info = await r.info('replication');
            return /role:(\w+)/.exec(info)?.[1] ?? 'unknown';
          } finally {
            r.disconnect();
          }
        },
        async kill(signal = 'SIGKILL') {
          const p = procs.get(port);
          if (!p) return;
          if (signal === 'SIGKILL') process.kill(p.pid, 'SIGKILL');
          await (signal === 'SIGKILL' ? p.exited : p.stop());
          procs.delete(port);
        },
        async start() {
          await rejoinAsReplica(port);
        },
      })),
      waitFailover: async (port: number, timeoutMs = 60_000) => {
        await waitUntil(
          async () => {
            const live = ports.find((p) => p !== port && procs.has(p));
            if (live === undefined) return undefined;
            const r = new Redis({
              port: live,
              host: '127.0.0.1',
              lazyConnect: true,
              maxRetriesPerRequest: 0,
            });
            r.on('error', () => undefined);
            try {
              await r.connect();
              const nodes = (await r.call('CLUSTER', 'NODES')) as string;
              const line = nodes.split('\n').find((l) => l.includes(`127.0.0.1:${port}@`));
              const fields = line?.split(' ') ?? [];
              const failed = (fields[2] ?? '').split(',').includes('fail');
              return failed && fields.length <= 8 ? true : undefined;
            } finally {
              r.disconnect();
            }
          },
          { what: `failover away from redis ${port}`, timeoutMs, intervalMs: 200 },
        );
        await waitUntil(clusterOk, {
          what: 'Redis Cluster to report ok',
          timeoutMs,
          intervalMs: 250,
        });
      },
      waitHealthy: async (timeoutMs = 60_000) => {
        await waitUntil(clusterOk, {
          what: 'Redis Cluster to report ok',
          timeoutMs,
          intervalMs: 250,
        });
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function withNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

function replicationInfo(port: number): Promise<string> {
  return withNode(port, (r) => r.info('replication'));
}

function nodeId(port: number): Promise<string> {
  return withNode(port, async (r) => String(await r.call('CLUSTER', 'MYID')));
}

async function ping(port: number): Promise<boolean> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
