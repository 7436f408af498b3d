import {
  MAILBOX_SCRIPTS,
  MAX_BATCH,
  mailboxKeys,
  nonceKey,
  sessionKey,
  toHex,
  type FanoutTarget,
} from '@komrade/protocol';
import {
  LuaScript,
  nodeOfKey,
  refreshRouting,
  waitForReplicas,
  type RedisClient,
} from '@komrade/service-runtime';
import { Cluster } from 'ioredis';

const scripts = {
  store: new LuaScript(MAILBOX_SCRIPTS.store, 4),
  storeFanout: new LuaScript(MAILBOX_SCRIPTS.storeFanout, 1),
  storeBatch: new LuaScript(MAILBOX_SCRIPTS.storeBatch, 1),
  fetch: new LuaScript(MAILBOX_SCRIPTS.fetch, 4),
  create: new LuaScript(MAILBOX_SCRIPTS.create, 1),
  openSession: new LuaScript(MAILBOX_SCRIPTS.openSession, 3),
};

export type StoreOutcome = 'stored' | 'duplicate' | 'over-quota' | 'expired';
/** A fan-out write also skips a mailbox not registered with the member's announced key. */
export type FanoutOutcome = StoreOutcome | 'wrong-key';

const OUTCOME: Readonly<Record<number, FanoutOutcome>> = {
  1: 'stored',
  0: 'duplicate',
  [-1]: 'over-quota',
  [-2]: 'expired',
  [-3]: 'wrong-key',
};

const STORE_OUTCOME: Readonly<Record<number, StoreOutcome>> = {
  1: 'stored',
  0: 'duplicate',
  [-1]: 'over-quota',
  [-2]: 'expired',
};

/** storeFanout's answer for a member whose mailbox the node it ran on does not serve. */
const NOT_ON_NODE = -4;

/**
 * Members per storeFanout script call. The script blocks its Redis node while it runs
 * (a few microseconds per member), so a 1,000-member post is cut into calls of about a
 * millisecond each; other clients' commands get in between.
 */
export const FANOUT_CHUNK = 256;

/**
 * A Buffer over the same memory (ioredis wants Buffers; Buffer.from(Uint8Array) would copy
 * every envelope once more, which showed as garbage-collection time in the sorter).
 */
function view(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

type ScriptArg = string | Buffer | number;

/** A fan-out target as the storeFanout script takes it. */
interface Member {
  readonly hex: string;
  /** The mailbox key's key name, to route a call to the member's node. */
  readonly routeKey: string;
  readonly key: Buffer;
}

/** The sorter's side of the Redis mailbox layout (see protocol/src/store/mailbox-layout.ts). */
export class SorterMailboxStore {
  /**
   * @param durability replicas that must acknowledge a write before store() resolves
   *   (Redis replicates asynchronously; see waitForReplicas)
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly durability: { replicas: number; timeoutMs: number } = {
      replicas: 0,
      timeoutMs: 0,
    },
  ) {}

  async store(
    mailboxId: Uint8Array,
    envelopeId: Uint8Array,
    envelope: Uint8Array,
    seq: number,
    expiresAtMs: number,
    quota: number,
    nowMs: number,
  ): Promise<StoreOutcome> {
    const k = mailboxKeys(toHex(mailboxId));
    const r = await scripts.store.run(
      this.redis,
      [k.msgs, k.order, k.expiry, k.gone],
      [view(envelopeId), view(envelope), seq, expiresAtMs, quota, nowMs],
    );
    // stored now or by an earlier attempt whose replication was never confirmed: either
    // way the write must be on a replica before anyone is told it is safe
    if ((r === 1 || r === 0) && this.durability.replicas > 0) {
      const acked = await waitForReplicas(
        this.redis,
        k.msgs,
        this.durability.replicas,
        this.durability.timeoutMs,
      );
      if (acked < this.durability.replicas) throw new Error('mailbox write not yet replicated');
    }
    switch (r) {
      case 1:
        return 'stored';
      case 0:
        return 'duplicate';
      case -1:
        return 'over-quota';
      case -2:
        return 'expired';
      default:
        throw new Error('unexpected store script reply');
    }
  }

  /**
   * Writes one envelope into many member mailboxes (a collective's fan-out), each only
   * into a mailbox registered with the key its member announced. The members are grouped
   * by the Redis node that serves them (one group without a cluster) and each group is
   * written by the storeFanout script in chunks of FANOUT_CHUNK, all chunks at once
   * (ioredis routes each call by its first member's key). Members a node turned out not
   * to serve (the client's slot map was stale) are sent again, once, after reloading the
   * map. Then, when replicas must confirm, one WAIT per master node.
   * Throws if a call fails or too few replicas confirm: the caller leaves the message in
   * JetStream, and the writes already done are harmless to repeat (idempotent by id; a
   * repeat counts as a duplicate).
   */
  async storeFanout(
    targets: readonly FanoutTarget[],
    envelopeId: Uint8Array,
    envelope: Uint8Array,
    seq: number,
    expiresAtMs: number,
    quota: number,
    nowMs: number,
  ): Promise<Record<FanoutOutcome, number>> {
    const id = view(envelopeId);
    const bytes = view(envelope);
    const counts: Record<FanoutOutcome, number> = {
      stored: 0,
      duplicate: 0,
      'over-quota': 0,
      expired: 0,
      'wrong-key': 0,
    };
    const members = targets.map((t): Member => {
      // Buffer's hex is native: toHex's loop was a visible share of the sorter's CPU here
      const hex = view(t.mailboxId).toString('hex');
      return { hex, routeKey: mailboxKeys(hex).key, key: view(t.mailboxKey) };
    });
    const head = [id, bytes, seq, expiresAtMs, quota, nowMs];
    const codes = await this.byNode(members, FANOUT_CHUNK, (part) => {
      const args: ScriptArg[] = [...head];
      for (const m of part) args.push(m.hex, m.key);
      return scripts.storeFanout.run(this.redis, [part[0]?.routeKey ?? ''], args);
    });
    for (const c of codes) {
      const o = OUTCOME[c];
      if (o === undefined) throw new Error('unexpected store script reply');
      counts[o]++;
    }
    const written = counts.stored + counts.duplicate;
    const first = members[0];
    if (written > 0 && first && this.durability.replicas > 0) await this.waitForAll(first.routeKey);
    return counts;
  }

  /**
   * Stores the envelopes of one group-committed batch (SPEC section 11), each into its
   * own mailbox exactly as store() would, with one storeBatch script call per Redis node
   * (grouped and retried like storeFanout), then one WAIT per master when replicas must
   * confirm. Outcomes come back in input order. Throws like store().
   */
  async storeBatch(
    items: readonly {
      readonly mailboxId: Uint8Array;
      readonly envelopeId: Uint8Array;
      readonly envelope: Uint8Array;
      readonly seq: number;
      readonly expiresAtMs: number;
    }[],
    quota: number,
    nowMs: number,
  ): Promise<StoreOutcome[]> {
    const entries = items.map((it, index) => {
      const hex = view(it.mailboxId).toString('hex');
      return { index, hex, routeKey: mailboxKeys(hex).msgs, it };
    });
    const out: StoreOutcome[] = [];
    const codes = await this.byNode(entries, MAX_BATCH, (part) => {
      const args: ScriptArg[] = [quota, nowMs];
      for (const e of part)
        args.push(e.hex, view(e.it.envelopeId), view(e.it.envelope), e.it.seq, e.it.expiresAtMs);
      return scripts.storeBatch.run(this.redis, [part[0]?.routeKey ?? ''], args);
    });
    codes.forEach((c, i) => {
      const o = STORE_OUTCOME[c];
      if (o === undefined) throw new Error('unexpected store script reply');
      out[i] = o;
    });
    const written = out.filter((o) => o === 'stored' || o === 'duplicate').length;
    const first = items[0];
    if (written > 0 && first && this.durability.replicas > 0)
      await this.waitForAll(mailboxKeys(view(first.mailboxId).toString('hex')).msgs);
    return out;
  }

  /**
   * Runs a bulk script over items grouped by the Redis node that serves each one's
   * routeKey, at most `chunk` items a call, all calls at once; gives back one code per
   * item, in input order. The script answers NOT_ON_NODE for an item the node does not
   * serve (the client's slot map was stale: failover, resharding); those are sent again,
   * once, after reloading the map, and a second miss throws (the caller's message is
   * redelivered later).
   */
  private async byNode<T extends { readonly routeKey: string }>(
    items: readonly T[],
    chunk: number,
    send: (part: readonly T[]) => Promise<unknown>,
  ): Promise<number[]> {
    const codes: number[] = new Array<number>(items.length);
    const run = async (indexes: readonly number[]): Promise<number[]> => {
      const groups = new Map<string, number[]>();
      for (const i of indexes) {
        const node = nodeOfKey(this.redis, (items[i] as T).routeKey);
        const g = groups.get(node);
        if (g) g.push(i);
        else groups.set(node, [i]);
      }
      const calls: Promise<number[]>[] = [];
      for (const g of groups.values())
        for (let k = 0; k < g.length; k += chunk) {
          const part = g.slice(k, k + chunk);
          calls.push(
            send(part.map((i) => items[i] as T)).then((reply) => {
              if (!Array.isArray(reply) || reply.length !== part.length)
                throw new Error('unexpected store script reply');
              const missed: number[] = [];
              reply.forEach((c: unknown, j) => {
                const i = part[j] as number;
                if (c === NOT_ON_NODE) missed.push(i);
                else if (typeof c === 'number') codes[i] = c;
                else throw new Error('unexpected store script reply');
              });
              return missed;
            }),
          );
        }
      return (await Promise.all(calls)).flat();
    };
    const missed = await run(items.map((_, i) => i));
    if (missed.length > 0) {
      await refreshRouting(this.redis);
      if ((await run(missed)).length > 0)
        throw new Error('mailboxes not where the cluster says (slots moving)');
    }
    return codes;
  }

  /** One WAIT on every master that may hold this client's recent writes (`anyKey` without a cluster). */
  private async waitForAll(anyKey: string): Promise<void> {
    const { replicas, timeoutMs } = this.durability;
    const acks =
      this.redis instanceof Cluster
        ? await Promise.all(
            this.redis.nodes('master').map(async (node) => {
              const n = await node.call('WAIT', replicas, timeoutMs);
              return typeof n === 'number' ? n : 0;
            }),
          )
        : [await waitForReplicas(this.redis, anyKey, replicas, timeoutMs)];
    if (acks.some((n) => n < replicas)) throw new Error('writes not yet replicated');
  }

  /** The mailbox's public key, or undefined when there is no such mailbox. */
  async publicKey(mailboxId: Uint8Array): Promise<Uint8Array | undefined> {
    const v = await this.redis.getBuffer(mailboxKeys(toHex(mailboxId)).key);
    return v === null ? undefined : new Uint8Array(v);
  }

  async create(mailboxId: Uint8Array, publicKey: Uint8Array, ttlMs: number): Promise<boolean> {
    const k = mailboxKeys(toHex(mailboxId));
    return (await scripts.create.run(this.redis, [k.key], [Buffer.from(publicKey), ttlMs])) === 1;
  }

  async openSession(
    mailboxId: Uint8Array,
    publicKey: Uint8Array,
    nonce: Uint8Array,
    token: Uint8Array,
    o: { nonceTtlMs: number; sessionTtlMs: number; mailboxTtlMs: number },
  ): Promise<boolean> {
    const hex = toHex(mailboxId);
    const r = await scripts.openSession.run(
      this.redis,
      [mailboxKeys(hex).key, nonceKey(hex, toHex(nonce)), sessionKey(hex, token)],
      [Buffer.from(publicKey), o.nonceTtlMs, o.sessionTtlMs, o.mailboxTtlMs],
    );
    return r === 1;
  }

  /** undefined when the session (or the mailbox) is unknown. */
  async fetch(
    mailboxId: Uint8Array,
    token: Uint8Array,
    max: number,
    nowMs: number,
  ): Promise<{ remaining: number; envelopes: Uint8Array[] } | undefined> {
    const hex = toHex(mailboxId);
    const k = mailboxKeys(hex);
    const r = await scripts.fetch.run(
      this.redis,
      [sessionKey(hex, token), k.msgs, k.order, k.expiry],
      [nowMs, max],
    );
    if (r === null) return undefined;
    if (!Array.isArray(r) || typeof r[0] !== 'number')
      throw new Error('unexpected fetch script reply');
    const envelopes: Uint8Array[] = [];
    for (let i = 2; i < r.length; i += 2) {
      const env: unknown = r[i];
      // a message can vanish between ZRANGE and HGET only if the script is broken
      if (!Buffer.isBuffer(env)) throw new Error('unexpected fetch script reply');
      envelopes.push(new Uint8Array(env));
    }
    return { remaining: r[0], envelopes };
  }
}
