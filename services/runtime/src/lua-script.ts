import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;
type Arg = string | Buffer | number;
type ScriptFn = (...args: (string | Buffer | number)[]) => Promise<unknown>;

/**
 * A Lua script registered with ioredis' defineCommand: EVALSHA with a transparent EVAL
 * after NOSCRIPT (script cache emptied by a restart or failover), slot routing in a
 * Cluster, and auto-pipelining. Replies keep binary strings as Buffers.
 */
export class LuaScript {
  private readonly name: string;
  private readonly defined = new WeakSet<object>();

  constructor(
    private readonly lua: string,
    private readonly numberOfKeys: number,
  ) {
    this.name = `km_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) throw new Error('wrong key count for script');
    if (!this.defined.has(redis)) {
      redis.defineCommand(this.name, { lua: this.lua, numberOfKeys: this.numberOfKeys });
      this.defined.add(redis);
    }
    const fn = (redis as unknown as Record<string, ScriptFn>)[`${this.name}Buffer`];
    if (!fn) throw new Error('script not defined');
    return fn.call(redis, ...keys, ...args);
  }
}
