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
/** Every script made in this process; connectRedis defines them all on each new client. */
const allScripts = new Set<LuaScript>();

/** Defines every known script on a fresh client, before it carries any command. */
export function defineAllScripts(redis: RedisClient): void {
  for (const s of allScripts) s.define(redis);
}

export class LuaScript {
  private readonly name: string;
  private readonly defined = new WeakSet<object>();

  constructor(
    private readonly lua: string,
    private readonly numberOfKeys: number,
  ) {
    this.name = `km_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
    allScripts.add(this);
  }

  /**
   * Registers the script on a client. Call it before the client carries any command:
   * ioredis copies custom commands into each auto-pipeline when it opens one, so a script
   * defined while a pipeline is open is missing from it ("pipeline[name] is not a function").
   */
  define(redis: RedisClient): void {
    if (this.defined.has(redis)) return;
    redis.defineCommand(this.name, { lua: this.lua, numberOfKeys: this.numberOfKeys });
    this.defined.add(redis);
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) throw new Error('wrong key count for script');
    this.define(redis);
    const fn = (redis as unknown as Record<string, ScriptFn>)[`${this.name}Buffer`];
    if (!fn) throw new Error('script not defined');
    return fn.call(redis, ...keys, ...args);
  }
}
