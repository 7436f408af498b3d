import {
  startNatsServer,
  startRedisServer,
  type NatsServerOptions,
  type RedisServerOptions,
  type RunningServer,
} from '@komrade/deploy';
import { Redis } from 'ioredis';

export type { RunningServer };

export interface TestNatsOptions {
  /** Durable JetStream store (kept after stop); a temporary one by default. */
  readonly storeDir?: string;
  /** Fixed client port, only for tests that restart a server on the same port. */
  readonly port?: number;
  readonly memoryStoreBytes?: number;
}

/**
 * nats-server with JetStream on 127.0.0.1 on a random port, store in a temporary
 * directory; stop() kills it by PID and removes the directory. Throws an actionable
 * error ("... Install it with: sudo apt-get install -y nats-server") when missing.
 */
export function startNats(o: TestNatsOptions = {}): Promise<RunningServer> {
  const opts: NatsServerOptions = {
    jetstream: true,
    ...(o.storeDir !== undefined ? { dataDir: o.storeDir } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.memoryStoreBytes !== undefined ? { memoryStoreBytes: o.memoryStoreBytes } : {}),
  };
  return startNatsServer(opts);
}

export interface TestRedisOptions {
  readonly maxMemoryBytes?: number;
}

/** redis-server on 127.0.0.1 on a free port, no persistence, temporary directory. */
export function startRedis(o: TestRedisOptions = {}): Promise<RunningServer> {
  const opts: RedisServerOptions = {
    ...(o.maxMemoryBytes !== undefined ? { maxMemoryBytes: o.maxMemoryBytes } : {}),
  };
  return startRedisServer(opts);
}

/** Empties every Redis database, for a clean slate between tests. */
export async function flushRedis(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.flushall();
  } finally {
    client.disconnect();
  }
}
