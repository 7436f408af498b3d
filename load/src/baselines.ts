import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { findBinary } from '@komrade/deploy';
import { MAILBOX_SCRIPTS, mailboxKeys, postageBits, POSTAGE_SIZE, toHex } from '@komrade/protocol';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';

export interface RedisBenchmark {
  readonly rpushRps: number;
  readonly lpopRps: number;
  readonly command: string;
}

/** Parses `redis-benchmark --csv` output: a header line, then one quoted line per test. */
export function parseRedisBenchmarkCsv(csv: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = csv.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const unquote = (s: string): string => s.trim().replace(/^"|"$/g, '');
  const header = lines[0]?.split(',').map(unquote) ?? [];
  const rpsAt = header.indexOf('rps');
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map(unquote);
    // redis-benchmark < 6 printed "TEST","RPS" without a header; accept both
    const rps = Number(cells[rpsAt >= 0 ? rpsAt : 1]);
    const test = cells[0];
    if (test && Number.isFinite(rps)) out[test.split(' ')[0]?.toUpperCase() ?? test] = rps;
  }
  return out;
}

/**
 * `redis-benchmark -t rpush,lpop -P 16 -d 1024` against this run's redis-server: the
 * server's own limit for list writes (and the matching reads), measured by Redis's tool.
 * The list it fills is deleted afterwards.
 */
export async function redisBenchmark(port: number, requests: number): Promise<RedisBenchmark> {
  const bin = findBinary('redis-benchmark');
  const args = [
    '-h', '127.0.0.1', '-p', String(port),
    '-t', 'rpush,lpop', '-P', '16', '-d', '1024', '-c', '50',
    '-n', String(requests), '--csv',
  ]; // prettier-ignore
  const csv = await new Promise<string>((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`redis-benchmark exited with ${String(code)}: ${err}`));
    });
  });
  const r = parseRedisBenchmarkCsv(csv);
  const rpush = r['RPUSH'];
  const lpop = r['LPOP'];
  if (rpush === undefined || lpop === undefined)
    throw new Error(`unexpected redis-benchmark output:\n${csv}`);
  return {
    rpushRps: rpush,
    lpopRps: lpop,
    // the port is the run's random one: written as a placeholder
    command: `redis-benchmark ${args.map((a, i) => (args[i - 1] === '-p' ? '<port>' : a)).join(' ')}`,
  };
}

/** Raw NATS core publish of 1 KiB messages (no subscriber) from this process, flushed. */
export async function natsPublishRate(url: string, messages: number): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const payload = randomBytes(1024);
    const chunk = 10_000;
    const t0 = performance.now();
    for (let sent = 0; sent < messages;) {
      const n = Math.min(chunk, messages - sent);
      for (let i = 0; i < n; i++) nc.publish('bench.raw.publish', payload);
      sent += n;
      // a round trip to the server: everything before it has been read by the server
      await nc.flush();
    }
    return messages / ((performance.now() - t0) / 1000);
  } finally {
    await nc.close();
  }
}

/** Postage (proof of work) hashes per second on one thread: the client's cost per bit. */
export function postageHashRate(ms = 1000): number {
  const id = randomBytes(16);
  const nonce = new Uint8Array(POSTAGE_SIZE);
  let n = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < ms) {
    for (let i = 0; i < 1000; i++) {
      nonce[7] = i & 0xff;
      nonce[6] = (n >> 8) & 0xff;
      postageBits(id, nonce);
      n++;
    }
    now = performance.now();
  }
  return n / ((now - t0) / 1000);
}

export interface FanoutEmulation {
  readonly members: number;
  readonly posts: number;
  readonly deliveriesPerSec: number;
  readonly method: string;
}

/** A bulk fan-out script the emulation harness runs, and what to call it in the results. */
export interface FanoutProbe {
  readonly script: string;
  readonly method: string;
}

const HARNESS = '256 members per call, 4 posts in flight, Redis db 1';

/** The sorter's own bulk store script (protocol MAILBOX_SCRIPTS.storeFanout). */
export const STORE_FANOUT_PROBE: FanoutProbe = {
  script: MAILBOX_SCRIPTS.storeFanout,
  method: `runner-side emulation: MAILBOX_SCRIPTS.storeFanout, ${HARNESS}`,
};

/**
 * The cheapest fan-out on write there can be, for comparison with storeFanout: one RPUSH
 * of the envelope per member, no key check, no duplicate or quota check, no indexes, no
 * expiry; same calling convention as storeFanout (ARGV 7.. are member id and key pairs).
 * It stores nothing a relay could serve; it only measures what a Lua loop writing once
 * per member costs against pipelined RPUSH from redis-benchmark.
 */
export const ONE_RPUSH_PROBE: FanoutProbe = {
  script: `#!lua flags=allow-cross-slot-keys
local out = {}
for i = 7, #ARGV - 1, 2 do
  redis.call('RPUSH', 'km:probe:{' .. ARGV[i] .. '}', ARGV[2])
  out[#out + 1] = 1
end
return out
`,
  method: `runner-side probe: one RPUSH of the envelope per member from a Lua loop (no checks, no indexes), ${HARNESS}`,
};

/**
 * The Redis half of the sorter's fan-out, without the sorter: the bulk store script the
 * sorter runs (protocol MAILBOX_SCRIPTS.storeFanout, one call per 256 members) for
 * `members` mailboxes registered beforehand, per post, from this process, in Redis
 * database 1 (emptied afterwards). An upper bound for the sorter's fan-out, not a
 * measurement of it. With ONE_RPUSH_PROBE the same harness measures the
 * ceiling of any fan-out that writes once per member from a script. (Before the bulk
 * script, this ran MAILBOX_SCRIPTS.store once per member.)
 */
export async function fanoutStoreEmulation(
  redisUrl: string,
  members: number,
  posts: number,
  envelopeBytes: number,
  probe: FanoutProbe = STORE_FANOUT_PROBE,
): Promise<FanoutEmulation> {
  const r = new Redis(redisUrl, { db: 1, lazyConnect: true });
  await r.connect();
  try {
    const sha = (await r.script('LOAD', probe.script)) as string;
    const chunk = 256;
    const memberList = Array.from({ length: members }, () => {
      const hex = toHex(randomBytes(16));
      return { hex, keyKey: mailboxKeys(hex).key, key: randomBytes(45) };
    });
    const reg = r.pipeline();
    for (const m of memberList) reg.set(m.keyKey, m.key, 'PX', 3_600_000);
    await reg.exec();
    const envelope = randomBytes(envelopeBytes);
    const concurrency = 4;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const post = next++;
          if (post >= posts) return;
          const id = randomBytes(16);
          const now = Date.now();
          const calls: Promise<unknown>[] = [];
          for (let i = 0; i < memberList.length; i += chunk) {
            const part = memberList.slice(i, i + chunk);
            const args: (string | Buffer | number)[] = [
              part[0]?.keyKey ?? '',
              id,
              envelope,
              post,
              now + 3_600_000,
              1_000_000,
              now,
            ];
            for (const m of part) args.push(m.hex, m.key);
            calls.push(r.evalsha(sha, 1, ...args));
          }
          const res = await Promise.all(calls);
          if (res.some((codes) => !Array.isArray(codes) || codes.some((c) => c !== 1)))
            throw new Error('fan-out emulation: a store call failed');
        }
      }),
    );
    const sec = (performance.now() - t0) / 1000;
    return {
      members,
      posts,
      deliveriesPerSec: (members * posts) / sec,
      method: probe.method,
    };
  } finally {
    await r.flushdb();
    r.disconnect();
  }
}
