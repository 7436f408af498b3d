import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MAIL_CONSUMER, STREAMS } from '@komrade/protocol';
import { Redis } from 'ioredis';

/** Every key in a Redis database with every byte it holds (for "nothing left" proofs). */
export async function dumpRedis(
  url: string,
): Promise<{ key: string; type: string; bytes: Buffer[] }[]> {
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  try {
    const out: { key: string; type: string; bytes: Buffer[] }[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await r.scanBuffer(cursor, 'COUNT', '1000');
      cursor = next.toString();
      for (const kb of keys) {
        const key = kb.toString('latin1');
        const type = await r.type(kb);
        const bytes: Buffer[] = [kb];
        if (type === 'string') {
          const v = await r.getBuffer(kb);
          if (v) bytes.push(v);
        } else if (type === 'hash') {
          const flat = (await r.callBuffer('HGETALL', kb)) as Buffer[];
          bytes.push(...flat);
        } else if (type === 'zset') bytes.push(...(await r.zrangeBuffer(kb, '0', '-1')));
        else if (type === 'list') bytes.push(...(await r.lrangeBuffer(kb, 0, -1)));
        else if (type === 'set') bytes.push(...(await r.smembersBuffer(kb)));
        out.push({ key, type, bytes });
      }
    } while (cursor !== '0');
    return out;
  } finally {
    r.disconnect();
  }
}

/** True when any needle occurs in any key or value of the dump. */
export function dumpContains(dump: { bytes: Buffer[] }[], needles: readonly Uint8Array[]): boolean {
  for (const entry of dump)
    for (const b of entry.bytes)
      for (const n of needles) if (n.length > 0 && b.indexOf(n) >= 0) return true;
  return false;
}

/**
 * What the mail stream still holds: its message count, and every message that can still
 * be read by sequence across the stream's whole history.
 */
export async function mailStreamLeftovers(
  natsUrl: string,
): Promise<{ messages: number; readable: Uint8Array[] }> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(STREAMS.mail.name);
    const readable: Uint8Array[] = [];
    const last = info.state.last_seq;
    for (let seq = 1; seq <= last; seq++) {
      try {
        const m = await jsm.streams.getMessage(STREAMS.mail.name, { seq });
        if (m) readable.push(m.data);
      } catch {
        // deleted: what we want
      }
    }
    return { messages: info.state.messages, readable };
  } finally {
    await nc.close();
  }
}

/** Waits until the sorter's consumer has nothing pending or unacknowledged. */
export async function waitMailDrained(natsUrl: string, timeoutMs = 60_000): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = await jsm.streams.info(STREAMS.mail.name);
      if (s.state.messages === 0) return;
      if (Date.now() > until)
        throw new Error(`mail stream still holds ${s.state.messages} messages`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await nc.close();
  }
}

/**
 * Waits until the sorter's consumer has delivered and seen acked everything (nothing
 * undelivered, nothing awaiting an ack). Unlike waitMailDrained it does not need the
 * stream itself to be empty: after a node restart, nats-server 2.9's replicated work-queue
 * streams can keep acked messages on a replica for a while.
 */
export async function waitConsumerDrained(natsUrl: string, timeoutMs = 60_000): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ci = await jsm.consumers.info(STREAMS.mail.name, MAIL_CONSUMER);
      if (ci.num_pending === 0 && ci.num_ack_pending === 0) return;
      if (Date.now() > until)
        throw new Error(
          `sorter consumer still has ${ci.num_pending} undelivered and ${ci.num_ack_pending} unacked messages`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await nc.close();
  }
}
