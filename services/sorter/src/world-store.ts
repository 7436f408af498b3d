import { WORLD_SCRIPTS, worldKeys } from '@komrade/protocol';
import { LuaScript, waitForReplicas, type RedisClient } from '@komrade/service-runtime';

const scripts = {
  store: new LuaScript(WORLD_SCRIPTS.store, 3),
  list: new LuaScript(WORLD_SCRIPTS.list, 3),
};

/** One stored world post, as the list script answers it. */
export interface ListedPost {
  readonly idHex: string;
  readonly bytes: Uint8Array;
  readonly timestampMs: number;
}

/** The sorter's side of the world post layout (protocol/src/store/world-layout.ts). */
export class WorldStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly durability: { replicas: number; timeoutMs: number } = {
      replicas: 0,
      timeoutMs: 0,
    },
  ) {}

  /** Stores a post in its day until `expiresAtMs`; idempotent by id. */
  async publish(
    day: number,
    idHex: string,
    post: Uint8Array,
    timestampMs: number,
    expiresAtMs: number,
    nowMs: number,
  ): Promise<'stored' | 'duplicate' | 'expired'> {
    const k = worldKeys(day);
    const r = await scripts.store.run(
      this.redis,
      [k.msgs, k.order, k.expiry],
      [idHex, Buffer.from(post), timestampMs, expiresAtMs, nowMs],
    );
    if ((r === 1 || r === 0) && this.durability.replicas > 0) {
      const acked = await waitForReplicas(
        this.redis,
        k.msgs,
        this.durability.replicas,
        this.durability.timeoutMs,
      );
      if (acked < this.durability.replicas) throw new Error('world post not yet replicated');
    }
    if (r === 1) return 'stored';
    if (r === 0) return 'duplicate';
    if (r === -2) return 'expired';
    throw new Error('unexpected world store script reply');
  }

  /** Up to `max` live posts of one day older than the cursor, newest first. */
  async listDay(
    day: number,
    nowMs: number,
    before: { readonly ms: number; readonly idHex: string } | undefined,
    max: number,
  ): Promise<ListedPost[]> {
    const k = worldKeys(day);
    const r = await scripts.list.run(
      this.redis,
      [k.msgs, k.order, k.expiry],
      [nowMs, before ? before.ms : '+inf', before ? before.idHex : '', max],
    );
    if (!Array.isArray(r)) throw new Error('unexpected world list script reply');
    const out: ListedPost[] = [];
    for (let i = 0; i + 2 < r.length; i += 3) {
      const id: unknown = r[i];
      const bytes: unknown = r[i + 1];
      const ms: unknown = r[i + 2];
      if (!Buffer.isBuffer(id) || !Buffer.isBuffer(bytes) || !Buffer.isBuffer(ms))
        throw new Error('unexpected world list script reply');
      out.push({
        idHex: id.toString('latin1'),
        bytes: new Uint8Array(bytes),
        timestampMs: Number(ms.toString('latin1')),
      });
    }
    return out;
  }
}
