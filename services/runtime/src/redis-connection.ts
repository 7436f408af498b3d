import { Cluster, Redis } from 'ioredis';
import { defineAllScripts, type RedisClient } from './lua-script.js';

export interface RedisTarget {
  /** One URL for a standalone server; the seed nodes of a Redis Cluster. */
  readonly urls: readonly string[];
  readonly cluster: boolean;
}

/**
 * Connects to Redis (standalone or Cluster) with auto-pipelining: commands issued in the
 * same tick go out as one batch (per node in a cluster). Reconnects forever; a command
 * fails after two retries so callers can nak and retry instead of piling up. In a
 * cluster, a failover's MOVED/TRYAGAIN answers are followed by ioredis itself.
 */
export async function connectRedis(target: RedisTarget, name: string): Promise<RedisClient> {
  if (!target.cluster && target.urls.length > 1)
    throw new Error('several Redis URLs need KOMRADE_REDIS_CLUSTER=true');
  const options = {
    connectionName: name,
    enableAutoPipelining: true,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
  if (!target.cluster) {
    const client = new Redis(target.urls[0] ?? 'redis://127.0.0.1:6379', options);
    defineAllScripts(client);
    await client.connect();
    return client;
  }
  const seeds = target.urls.map((u) => {
    const p = new URL(u);
    return { host: p.hostname, port: Number(p.port || 6379) };
  });
  const first = new URL(target.urls[0] ?? 'redis://127.0.0.1:6379');
  const cluster = new Cluster(seeds, {
    enableAutoPipelining: true,
    lazyConnect: true,
    scaleReads: 'master',
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    clusterRetryStrategy: (times: number) => Math.min(times * 100, 2000),
    redisOptions: {
      connectionName: name,
      maxRetriesPerRequest: 2,
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    },
  });
  defineAllScripts(cluster);
  await cluster.connect();
  return cluster;
}

/** True when Redis answers PING. */
export async function redisReady(client: RedisClient): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}
