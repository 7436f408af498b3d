import { parseArgs } from 'node:util';

/** Everything a bench run is configured by (flags over a quick or full preset). */
export interface BenchOptions {
  readonly quick: boolean;
  /** Length of each timed phase (baseline, max ingest, batched ingest, each latency rate). */
  readonly durationSec: number;
  /** Concurrent simulated clients = keep-alive HTTP connections. */
  readonly clients: number;
  readonly postageBits: number;
  readonly soakSeconds: number;
  /** Mailboxes the traffic is spread over. */
  readonly mailboxes: number;
  /** How many envelopes are really sealed with Themis (the rest are synthetic). */
  readonly sealed: number;
  /** Envelopes per POST in the batched-ingest figure. */
  readonly batch: number;
  /** Envelopes per fetch page in fetch-and-ack. */
  readonly fetchPage: number;
  /** Members and posts of the store-script emulation (fanoutEmulation). */
  readonly fanoutMembers: number;
  readonly fanoutPosts: number;
  /** Members of the real bench collective (fanoutDps) and posts sent to it. */
  readonly collectiveMembers: number;
  readonly collectivePosts: number;
  readonly redisBenchRequests: number;
  readonly natsMessages: number;
  /** Soak posting rate as a fraction of the measured maximum. */
  readonly soakLoad: number;
  readonly soakSampleSec: number;
  readonly resultsDir: string;
  /** Write V8 CPU profiles of every service here (node --cpu-prof). */
  readonly cpuProfDir: string | undefined;
  readonly progress: boolean;
}

export const USAGE = `npm run bench -- [options]            run every scenario, write load/results/
npm run bench -- seal --out DIR [...]   write pre-sealed envelopes for k6 (see docs/benchmarks.md)

options:
  --quick               CI-sized run (under a minute; soak 8 s)
  --duration SEC        length of each timed phase (quick 3, full 20)
  --clients N           concurrent simulated clients / connections (default 128)
  --postage-bits N      proof-of-work difficulty of the relay and envelopes (default 0)
  --soak-seconds SEC    soak length (quick 8, full 600)
  --mailboxes N         mailboxes the mail is spread over (quick 50, full 1000)
  --sealed N            envelopes sealed for real with Themis (quick 1000, full 20000)
  --batch N             envelopes per POST for the batched figure (default 32)
  --fetch-page N        envelopes per fetch page (default 100)
  --collective-members N  members of the fan-out collective (quick 100, full 1000)
  --collective-posts N  posts to it in the timed fan-out phase (quick 50, full 100)
  --results DIR         where <timestamp>.json and latest.json go (default load/results)
  --cpu-prof DIR        write a V8 CPU profile of every service into DIR
  --no-progress         no progress bar
  -h, --help`;

function num(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be a number from ${min} to ${max} (got "${v}")`);
  return n;
}

/** Parses run flags; throws an Error with a readable message on bad input. */
export function parseBenchArgs(argv: readonly string[], defaultResultsDir: string): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      clients: { type: 'string' },
      'postage-bits': { type: 'string' },
      'soak-seconds': { type: 'string' },
      mailboxes: { type: 'string' },
      sealed: { type: 'string' },
      batch: { type: 'string' },
      'fetch-page': { type: 'string' },
      'collective-members': { type: 'string' },
      'collective-posts': { type: 'string' },
      results: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'no-progress': { type: 'boolean' },
    },
  });
  const quick = values.quick ?? false;
  const int = (k: keyof typeof values, min: number, max: number): number | undefined => {
    const v = num(values[k] as string | undefined, k, min, max);
    return v === undefined ? undefined : Math.floor(v);
  };
  return {
    quick,
    durationSec: num(values.duration, 'duration', 1, 3600) ?? (quick ? 3 : 20),
    clients: int('clients', 1, 4096) ?? 128,
    postageBits: int('postage-bits', 0, 28) ?? 0,
    soakSeconds: num(values['soak-seconds'], 'soak-seconds', 1, 86400) ?? (quick ? 8 : 600),
    mailboxes: int('mailboxes', 1, 100_000) ?? (quick ? 50 : 1000),
    sealed: int('sealed', 0, 10_000_000) ?? (quick ? 1000 : 20_000),
    batch: int('batch', 1, 256) ?? 32,
    fetchPage: int('fetch-page', 1, 1000) ?? 100,
    fanoutMembers: 1000,
    fanoutPosts: quick ? 20 : 200,
    collectiveMembers: int('collective-members', 2, 4096) ?? (quick ? 100 : 1000),
    collectivePosts: int('collective-posts', 1, 100_000) ?? (quick ? 50 : 100),
    redisBenchRequests: quick ? 200_000 : 1_000_000,
    natsMessages: quick ? 200_000 : 1_000_000,
    soakLoad: 0.3,
    soakSampleSec: quick ? 2 : 10,
    resultsDir: values.results ?? defaultResultsDir,
    cpuProfDir: values['cpu-prof'],
    progress: !(values['no-progress'] ?? false),
  };
}
