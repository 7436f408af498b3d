import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;
type Arg = string | Buffer | number;

/**
 * A Lua script run by EVALSHA, loaded with EVAL on the first NOSCRIPT (after a Redis
 * restart or failover the script cache is empty). Replies keep binary strings as Buffers.
 */
export class LuaScript {
  private readonly sha: string;
  constructor(
    private readonly lua: string,
    private readonly numberOfKeys: number,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) throw new Error('wrong key count for script');
    try {
      return await redis.callBuffer('EVALSHA', this.sha, this.numberOfKeys, ...keys, ...args);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('NOSCRIPT'))
        return redis.callBuffer('EVAL', this.lua, this.numberOfKeys, ...keys, ...args);
      throw e;
    }
  }
}
