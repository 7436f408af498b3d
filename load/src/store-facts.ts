import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MAILBOX_KEY_PREFIX, mailboxKeys, STREAMS, toHex } from '@komrade/protocol';
import { Redis } from 'ioredis';

/** Read-only views of Redis and JetStream for counting queued mail and memory. */
export class StoreFacts {
  private constructor(
    private readonly redis: Redis,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(redisUrl: string, natsUrl: string): Promise<StoreFacts> {
    const redis = new Redis(redisUrl, { lazyConnect: true });
    await redis.connect();
    const nc = await connect({ servers: natsUrl });
    return new StoreFacts(redis, nc, await jetstreamManager(nc));
  }

  /** INFO memory used_memory, in bytes. */
  async usedMemory(): Promise<number> {
    const info = await this.redis.info('memory');
    const m = /^used_memory:(\d+)/m.exec(info);
    if (!m?.[1]) throw new Error('no used_memory in INFO memory');
    return Number(m[1]);
  }

  /** Messages waiting in the given mailboxes (ZCARD of each arrival index, pipelined). */
  async queuedIn(mailboxIds: readonly Uint8Array[]): Promise<number> {
    let total = 0;
    for (let i = 0; i < mailboxIds.length; i += 1000) {
      const p = this.redis.pipeline();
      for (const id of mailboxIds.slice(i, i + 1000)) p.zcard(mailboxKeys(toHex(id)).order);
      for (const [e, v] of (await p.exec()) ?? []) {
        if (e) throw e;
        total += Number(v);
      }
    }
    return total;
  }

  /** Messages in each of the given mailboxes (HLEN of each message hash, pipelined). */
  async messagesIn(mailboxIds: readonly Uint8Array[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < mailboxIds.length; i += 1000) {
      const p = this.redis.pipeline();
      for (const id of mailboxIds.slice(i, i + 1000)) p.hlen(mailboxKeys(toHex(id)).msgs);
      for (const [e, v] of (await p.exec()) ?? []) {
        if (e) throw e;
        out.push(Number(v));
      }
    }
    return out;
  }

  /** Deletes the given mailboxes and their mail (the bench collective's, after its check). */
  async dropMailboxes(mailboxIds: readonly Uint8Array[]): Promise<void> {
    for (let i = 0; i < mailboxIds.length; i += 1000) {
      const p = this.redis.pipeline();
      for (const id of mailboxIds.slice(i, i + 1000)) {
        const k = mailboxKeys(toHex(id));
        p.del(k.key, k.msgs, k.order, k.expiry, k.gone);
      }
      for (const [e] of (await p.exec()) ?? []) if (e) throw e;
    }
  }

  /** Mail-holding keys (messages, arrival and expiry indexes) left in Redis, any mailbox. */
  async mailKeysLeft(): Promise<number> {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        `${MAILBOX_KEY_PREFIX}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      n += keys.filter((k) => /:(msg|seq|exp)$/.test(k)).length;
    } while (cursor !== '0');
    return n;
  }

  /** Messages the mail stream still holds (work-queue: not yet sorted and acked). */
  async streamMessages(): Promise<number> {
    return (await this.jsm.streams.info(STREAMS.mail.name)).state.messages;
  }

  /** Waits until the sorter has taken and acked everything in the stream; returns when. */
  async waitDrained(timeoutMs: number): Promise<number> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      if ((await this.streamMessages()) === 0) return performance.now();
      if (performance.now() > until) throw new Error('the sorter did not drain the mail stream');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async flushAll(): Promise<void> {
    await this.redis.flushall();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.nc.close();
  }
}
