import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startTorNetwork } from '@komrade/deploy';
import { httpTransport, newMailbox, randomBytes, type Transport } from '@komrade/client';
import { socksTransport } from '@komrade/client/node';
import {
  ContentKind,
  generateKeyPair,
  initCrypto,
  mintPostage,
  sealMail,
  withPostage,
} from '@komrade/protocol';
import { startRelayProcesses, startServers } from './bench-cluster.js';

export interface PathFigures {
  /** One request at a time. */
  readonly sequentialRps: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** `concurrency` requests in flight. */
  readonly concurrentRps: number;
}

export interface OnionBenchResult {
  readonly date: string;
  readonly machine: { cpus: number; memoryGiB: number; node: string };
  readonly requests: number;
  readonly concurrency: number;
  readonly direct: PathFigures;
  readonly onion: PathFigures;
  /** onion / direct, from this run. */
  readonly ratios: { sequentialRps: number; concurrentRps: number; p50: number };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(
  t: Transport,
  bodies: readonly Uint8Array[],
  concurrency: number,
): Promise<PathFigures> {
  const half = Math.floor(bodies.length / 2);
  const times: number[] = [];
  const t0 = performance.now();
  for (const b of bodies.slice(0, half)) {
    const s = performance.now();
    await t.post('/v1/mail', b);
    times.push(performance.now() - s);
  }
  const seqSec = (performance.now() - t0) / 1000;
  const rest = bodies.slice(half);
  let next = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rest.length) await t.post('/v1/mail', rest[next++] as Uint8Array);
    }),
  );
  const concSec = (performance.now() - t1) / 1000;
  times.sort((a, b) => a - b);
  return {
    sequentialRps: half / seqSec,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    p99Ms: percentile(times, 99),
    concurrentRps: rest.length / concSec,
  };
}

/**
 * Posting through the onion service next to posting directly, same relay, same pre-sealed
 * envelopes, in one run: a private Tor network on this machine (3 authorities, 3 relays,
 * the onion service, a client) in front of the operator. Tor's processes share the cores
 * with everything else, so read the ratio, not the absolutes.
 */
export async function runOnionBench(o: {
  requests: number;
  concurrency: number;
  resultsDir: string;
  say?: (m: string) => void;
}): Promise<OnionBenchResult> {
  const say = o.say ?? (() => undefined);
  await initCrypto();
  const servers = await startServers();
  try {
    const relay = await startRelayProcesses(servers, { postageBits: 0 });
    try {
      const port = Number(new URL(relay.operatorUrl).port);
      say('sealing envelopes');
      const box = newMailbox(relay.relayName);
      const sender = generateKeyPair();
      const seal = (): Uint8Array => {
        const s = sealMail({
          to: box.address,
          mailboxKey: box.keys.publicKey,
          sender,
          kind: ContentKind.Text,
          content: randomBytes(200),
          expiryHour: Math.floor(Date.now() / 3_600_000) + 2,
          timestampMs: Date.now(),
          messageId: randomBytes(16),
        });
        if (!s.ok) throw new Error(s.code);
        return withPostage(s.value.bytes, s.value.relayLength, mintPostage(s.value.id, 0));
      };
      const direct = Array.from({ length: o.requests }, seal);
      const viaTor = Array.from({ length: o.requests }, seal);
      say('starting a private Tor network');
      const tor = await startTorNetwork({ target: port, onProgress: say });
      try {
        const onionT = socksTransport({
          baseUrl: `http://${tor.onionHost}`,
          socksUrl: `socks5h://127.0.0.1:${String(tor.socksPort)}`,
          isolationKey: 'bench',
          timeoutMs: 30_000,
          attempts: 60,
        });
        say('waiting for the onion service descriptor');
        await onionT.getJson('/v1/info');
        say(`measuring ${String(o.requests)} posts directly`);
        const d = await measure(
          httpTransport({ baseUrl: relay.operatorUrl }),
          direct,
          o.concurrency,
        );
        say(`measuring ${String(o.requests)} posts through the onion service`);
        const n = await measure(onionT, viaTor, o.concurrency);
        const result: OnionBenchResult = {
          date: new Date().toISOString(),
          machine: {
            cpus: cpus().length,
            memoryGiB: Math.round(totalmem() / 2 ** 30),
            node: process.version,
          },
          requests: o.requests,
          concurrency: o.concurrency,
          direct: d,
          onion: n,
          ratios: {
            sequentialRps: n.sequentialRps / d.sequentialRps,
            concurrentRps: n.concurrentRps / d.concurrentRps,
            p50: n.p50Ms / d.p50Ms,
          },
        };
        await mkdir(o.resultsDir, { recursive: true });
        await writeFile(
          join(o.resultsDir, 'onion-latest.json'),
          `${JSON.stringify(result, null, 2)}\n`,
        );
        return result;
      } finally {
        await tor.stop();
      }
    } finally {
      await relay.stop();
    }
  } finally {
    await servers.stop();
  }
}
