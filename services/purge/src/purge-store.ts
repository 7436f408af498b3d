import {
  ACK_TOMBSTONE_MS,
  EXPIRY_SCAN_PATTERN,
  keysFromExpiryKey,
  MAILBOX_SCRIPTS,
  mailboxKeys,
  sessionKey,
  toHex,
  WORLD_EXPIRY_SCAN_PATTERN,
  WORLD_SCRIPTS,
  worldKeysFromExpiryKey,
} from '@komrade/protocol';
import { LuaScript, type RedisClient } from '@komrade/service-runtime';
import type { Redis } from 'ioredis';

const scripts = {
  ack: new LuaScript(MAILBOX_SCRIPTS.ack, 5),
  sweep: new LuaScript(MAILBOX_SCRIPTS.sweep, 3),
  sweepWorld: new LuaScript(WORLD_SCRIPTS.sweep, 3),
};

/** Purge's side of the Redis mailbox layout: delete on ack, expire the rest. */
export class PurgeStore {
  constructor(private readonly redis: RedisClient) {}

  /** Deleted count, or undefined when the session (or mailbox) is unknown. */
  async ack(
    mailboxId: Uint8Array,
    token: Uint8Array,
    ids: readonly Uint8Array[],
  ): Promise<number | undefined> {
    const hex = toHex(mailboxId);
    const k = mailboxKeys(hex);
    const r = await scripts.ack.run(
      this.redis,
      [sessionKey(hex, token), k.msgs, k.order, k.expiry, k.gone],
      [Date.now(), ACK_TOMBSTONE_MS, ...ids.map((id) => Buffer.from(id))],
    );
    if (typeof r !== 'number') throw new Error('unexpected ack script reply');
    return r < 0 ? undefined : r;
  }

  /**
   * One page of the expiry sweep over one Redis node: SCAN from `cursor`, expire what is
   * due in each mailbox found. Returns the next cursor ("0" when the pass is complete),
   * so a sweep interrupted by a restart resumes where it stopped.
   */
  async sweepPage(
    node: Redis,
    cursor: string,
    nowMs: number,
    count = 500,
  ): Promise<{ cursor: string; removed: number }> {
    const [next, keys] = await node.scan(cursor, 'MATCH', EXPIRY_SCAN_PATTERN, 'COUNT', count);
    let removed = 0;
    for (const key of keys) {
      const k = keysFromExpiryKey(key);
      if (!k) continue;
      for (;;) {
        const n = await scripts.sweep.run(node, [k.msgs, k.order, k.expiry], [nowMs]);
        if (typeof n !== 'number') throw new Error('unexpected sweep script reply');
        removed += n;
        if (n < 1000) break;
      }
    }
    return { cursor: next, removed };
  }

  /**
   * One page of the world post sweep over one Redis node (SPEC 12.1): SCAN for days'
   * expiry indexes, remove what is due in each; resumable like sweepPage.
   */
  async sweepWorldPage(
    node: Redis,
    cursor: string,
    nowMs: number,
    count = 500,
  ): Promise<{ cursor: string; removed: number }> {
    const [next, keys] = await node.scan(
      cursor,
      'MATCH',
      WORLD_EXPIRY_SCAN_PATTERN,
      'COUNT',
      count,
    );
    let removed = 0;
    for (const key of keys) {
      const k = worldKeysFromExpiryKey(key);
      if (!k) continue;
      for (;;) {
        const n = await scripts.sweepWorld.run(node, [k.msgs, k.order, k.expiry], [nowMs]);
        if (typeof n !== 'number') throw new Error('unexpected world sweep script reply');
        removed += n;
        if (n < 1000) break;
      }
    }
    return { cursor: next, removed };
  }
}
