import { Redis } from 'ioredis';
import type { RedisClient } from './lua-script.js';

/**
 * Connects to Redis from a redis:// URL with auto-pipelining (commands issued in the
 * same tick go out as one batch). Retries forever; commands fail fast while the
 * connection is down so callers can nak and retry instead of piling up.
 */
export async function connectRedis(url: string, name: string): Promise<RedisClient> {
  const client = new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    enableOfflineQueue: true,
  });
  await client.connect();
  return client;
}

/** True when Redis answers PING. */
export async function redisReady(client: RedisClient): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}
