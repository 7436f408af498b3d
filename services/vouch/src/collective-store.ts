import { JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  collectiveKey,
  collectiveNonceKey,
  COLLECTIVE_CLOCK_WINDOW_MS,
  fanoutKey,
  KV_BUCKETS,
} from '@komrade/protocol';

/** A stored value and the KV revision it was read at (for compare-and-set). */
export interface Versioned {
  readonly value: Uint8Array;
  readonly revision: number;
}

/**
 * Where collectives live (SPEC section 20.8). Every write that depends on a read is a
 * compare-and-set on the key's revision, so concurrent vouch instances never lose an
 * update; the caller retries on `false`.
 */
export interface CollectiveStore {
  getRecord(name: string): Promise<Versioned | undefined>;
  /** false when the name is taken. */
  createRecord(name: string, record: Uint8Array): Promise<boolean>;
  /** false when the record changed since `revision` (re-read and retry). */
  updateRecord(name: string, record: Uint8Array, revision: number): Promise<boolean>;
  /** Claims a fan-out id for a collective; false when the id is taken. */
  claimFanout(idHex: string, name: string): Promise<boolean>;
  fanoutName(idHex: string): Promise<string | undefined>;
  releaseFanout(idHex: string): Promise<void>;
  /**
   * Adds a 16-byte item to the sorted set stored under `key` (a token set or a count
   * set). Idempotent: `added` is false when it was there already. `size` is the set's
   * size after the call.
   */
  addToSet(key: string, item: Uint8Array): Promise<{ added: boolean; size: number }>;
  setSize(key: string): Promise<number>;
  /** Removes a key and its history. */
  purge(key: string): Promise<void>;
  /** Records a nonce digest; false when it was recorded before (a replay). */
  useNonce(digestHex: string): Promise<boolean>;
}

const ITEM = 16;
/** A set never grows past this many items (a KV value stays well under 1 MB). */
export const MAX_SET_ITEMS = 60_000;
/** Values up to 1 MB: the largest record (4096 members) is about 470 kB. */
const MAX_VALUE_BYTES = 1_000_000;
/** Nonces are kept twice the clock window: any request older is refused as stale anyway. */
export const NONCE_TTL_MS = 2 * COLLECTIVE_CLOCK_WINDOW_MS;

function compare(a: Uint8Array, ao: number, b: Uint8Array): number {
  for (let i = 0; i < ITEM; i++) {
    const d = (a[ao + i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Inserts into a sorted concatenation of 16-byte items; undefined when already present. */
export function insertSorted(set: Uint8Array, item: Uint8Array): Uint8Array | undefined {
  if (item.length !== ITEM) throw new RangeError('set items are 16 bytes');
  let lo = 0;
  let hi = set.length / ITEM;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(set, mid * ITEM, item);
    if (c === 0) return undefined;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  const out = new Uint8Array(set.length + ITEM);
  out.set(set.subarray(0, lo * ITEM), 0);
  out.set(item, lo * ITEM);
  out.set(set.subarray(lo * ITEM), lo * ITEM + ITEM);
  return out;
}

function isWrongRevision(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamWrongLastSequence;
}

/**
 * The collectives on JetStream KV: `KOMRADE_COLLECTIVES` (file storage, `replicas`
 * copies, history 1) for records, fan-out index, token sets and counts, and
 * `KOMRADE_COLLECTIVE_NONCES` (same, entries expire after NONCE_TTL_MS) for the replay
 * guard. Creation uses KV create and changes use KV update with the revision read.
 */
export async function openKvCollectives(
  nc: NatsConnection,
  o: { readonly replicas: number; readonly timeoutMs?: number },
): Promise<CollectiveStore> {
  const kvm = new Kvm(nc);
  const kv: KV = await kvm.create(KV_BUCKETS.collectives, {
    history: 1,
    replicas: o.replicas,
    storage: StorageType.File,
    maxValueSize: MAX_VALUE_BYTES,
    timeout: o.timeoutMs ?? 5000,
  });
  const nonces: KV = await kvm.create(KV_BUCKETS.collectiveNonces, {
    history: 1,
    replicas: o.replicas,
    storage: StorageType.File,
    ttl: NONCE_TTL_MS,
    // a stream counts headers in its message size limit: leave room for them
    maxValueSize: 1024,
    timeout: o.timeoutMs ?? 5000,
  });

  const get = async (key: string): Promise<Versioned | undefined> => {
    const e = await kv.get(key);
    if (e === null || e.operation !== 'PUT') return undefined;
    return { value: e.value.slice(), revision: e.revision };
  };
  const create = async (bucket: KV, key: string, value: Uint8Array): Promise<boolean> => {
    try {
      await bucket.create(key, value);
      return true;
    } catch (e) {
      if (isWrongRevision(e)) return false;
      throw e;
    }
  };
  const update = async (key: string, value: Uint8Array, revision: number): Promise<boolean> => {
    try {
      await kv.update(key, value, revision);
      return true;
    } catch (e) {
      if (isWrongRevision(e)) return false;
      throw e;
    }
  };

  return {
    getRecord: (name) => get(collectiveKey(name)),
    createRecord: (name, record) => create(kv, collectiveKey(name), record),
    updateRecord: (name, record, revision) => update(collectiveKey(name), record, revision),
    claimFanout: (idHex, name) => create(kv, fanoutKey(idHex), new TextEncoder().encode(name)),
    async fanoutName(idHex) {
      const v = await get(fanoutKey(idHex));
      return v === undefined ? undefined : new TextDecoder().decode(v.value);
    },
    async releaseFanout(idHex) {
      await kv.purge(fanoutKey(idHex));
    },
    async addToSet(key, item) {
      for (let attempt = 0; attempt < 50; attempt++) {
        const cur = await get(key);
        const set = cur?.value ?? new Uint8Array();
        const size = set.length / ITEM;
        if (size >= MAX_SET_ITEMS) return { added: false, size };
        const next = insertSorted(set, item);
        if (next === undefined) return { added: false, size };
        const done = cur ? await update(key, next, cur.revision) : await create(kv, key, next);
        if (done) return { added: true, size: size + 1 };
      }
      throw new Error('token set kept changing under concurrent writers');
    },
    async setSize(key) {
      const cur = await get(key);
      return cur === undefined ? 0 : cur.value.length / ITEM;
    },
    async purge(key) {
      await kv.purge(key);
    },
    useNonce: (digestHex) => create(nonces, collectiveNonceKey(digestHex), Uint8Array.of(1)),
  };
}

/** In-memory store with the same contract, for unit tests. */
export class MemoryCollectiveStore implements CollectiveStore {
  readonly values = new Map<string, Versioned>();
  readonly nonces = new Set<string>();
  private revision = 0;

  private put(key: string, value: Uint8Array): void {
    this.values.set(key, { value: value.slice(), revision: ++this.revision });
  }

  getRecord(name: string): Promise<Versioned | undefined> {
    return Promise.resolve(this.values.get(collectiveKey(name)));
  }

  createRecord(name: string, record: Uint8Array): Promise<boolean> {
    if (this.values.has(collectiveKey(name))) return Promise.resolve(false);
    this.put(collectiveKey(name), record);
    return Promise.resolve(true);
  }

  updateRecord(name: string, record: Uint8Array, revision: number): Promise<boolean> {
    if (this.values.get(collectiveKey(name))?.revision !== revision) return Promise.resolve(false);
    this.put(collectiveKey(name), record);
    return Promise.resolve(true);
  }

  claimFanout(idHex: string, name: string): Promise<boolean> {
    if (this.values.has(fanoutKey(idHex))) return Promise.resolve(false);
    this.put(fanoutKey(idHex), new TextEncoder().encode(name));
    return Promise.resolve(true);
  }

  fanoutName(idHex: string): Promise<string | undefined> {
    const v = this.values.get(fanoutKey(idHex));
    return Promise.resolve(v && new TextDecoder().decode(v.value));
  }

  releaseFanout(idHex: string): Promise<void> {
    this.values.delete(fanoutKey(idHex));
    return Promise.resolve();
  }

  addToSet(key: string, item: Uint8Array): Promise<{ added: boolean; size: number }> {
    const set = this.values.get(key)?.value ?? new Uint8Array();
    const next = insertSorted(set, item);
    if (next === undefined) return Promise.resolve({ added: false, size: set.length / ITEM });
    this.put(key, next);
    return Promise.resolve({ added: true, size: next.length / ITEM });
  }

  setSize(key: string): Promise<number> {
    return Promise.resolve((this.values.get(key)?.value.length ?? 0) / ITEM);
  }

  purge(key: string): Promise<void> {
    this.values.delete(key);
    return Promise.resolve();
  }

  useNonce(digestHex: string): Promise<boolean> {
    if (this.nonces.has(digestHex)) return Promise.resolve(false);
    this.nonces.add(digestHex);
    return Promise.resolve(true);
  }
}
