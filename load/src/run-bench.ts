import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KomradeClient, newMailbox, type OwnedMailbox } from '@komrade/client';
import { encodeEnvelopeBatch, initCrypto, type ServiceName } from '@komrade/protocol';
import {
  fanoutStoreEmulation,
  ONE_RPUSH_PROBE,
  natsPublishRate,
  postageHashRate,
  redisBenchmark,
} from './baselines.js';
import {
  startBareServer,
  startRelayProcesses,
  startServers,
  type BareServer,
  type BenchRelay,
  type BenchServers,
} from './bench-cluster.js';
import { collectiveFanout, type CollectiveFanoutResult } from './collective-fanout.js';
import { EnvelopePool, type EnvelopeSet } from './envelope-pool.js';
import {
  closedLoop,
  httpPool,
  newHistogram,
  openLoop,
  summarize,
  type NextBody,
} from './http-load.js';
import { Ledger } from './ledger.js';
import type { BenchOptions } from './options.js';
import { poolTransport } from './pool-transport.js';
import { summarizeProfiles, type ProfileSummary } from './cpu-profile.js';
import { CpuMeter, rssBytes, rssSeries } from './proc-stats.js';
import type { Progress } from './progress.js';
import { metricSum, scrape } from './prometheus.js';
import { StoreFacts } from './store-facts.js';
import { machineFacts, type BenchSummary, type LatencyAtLoad } from './summary.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over items with at most `n` in flight. */
async function eachLimit<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>) {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

/**
 * Hands out envelopes of a set one POST at a time (single or batched) and marks the
 * accepted ones; the ledger is filled from the marks after the timed phase.
 */
class Feed {
  private next = 0;
  readonly accepted: Uint8Array;
  constructor(
    readonly set: EnvelopeSet,
    private readonly batch = 1,
  ) {
    this.accepted = new Uint8Array(set.bytes.length);
  }
  readonly take: NextBody = () => {
    const from = this.next;
    if (from >= this.set.bytes.length) return undefined;
    const to = Math.min(from + this.batch, this.set.bytes.length);
    this.next = to;
    const body =
      this.batch === 1
        ? (this.set.bytes[from] as Uint8Array)
        : encodeEnvelopeBatch(this.set.bytes.slice(from, to));
    return {
      body,
      items: to - from,
      onOk: () => this.accepted.fill(1, from, to),
    };
  };
  get exhausted(): boolean {
    return this.next >= this.set.bytes.length;
  }
  record(ledger: Ledger): number {
    let n = 0;
    this.accepted.forEach((a, i) => {
      if (a) {
        ledger.accept(this.set.ids[i] as Uint8Array);
        n++;
      }
    });
    return n;
  }
}

/** Everything started in this run, stopped in reverse order whatever happens. */
class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch (e) {
        process.stderr.write(`bench: cleanup step failed: ${String(e)}\n`);
      }
    }
    this.steps.length = 0;
  }
}

export async function runBench(o: BenchOptions, ui: Progress): Promise<BenchSummary> {
  const started = performance.now();
  const machine = machineFacts();
  const cleanup = new Cleanup();
  const caveats: string[] = [
    `load generator, relay services, nats-server and redis-server share this machine's ${machine.cpus} cores: every figure includes that competition`,
  ];
  try {
    ui.phase('starting nats-server, redis', 1);
    const servers: BenchServers = await startServers();
    cleanup.add(() => servers.stop());

    // ---- baselines first ------------------------------------------------------------
    const durationMs = o.durationSec * 1000;
    ui.phase('baseline: bare fastify', durationMs, `${o.clients} clients`);
    const bare: BareServer = await startBareServer();
    cleanup.add(() => bare.stop());
    const barePool = httpPool(bare.url, o.clients);
    cleanup.add(() => barePool.close());
    const kib = randomBytes(1024);
    const bareBody: NextBody = () => ({ body: kib, items: 1 });
    const bareRes = await closedLoop({
      pool: barePool,
      path: '/bare',
      expectStatus: 202,
      clients: o.clients,
      durationMs,
      next: bareBody,
      onTick: (ms) => {
        ui.update(ms);
      },
    });
    const bareRps = bareRes.ok / bareRes.elapsedSec;

    ui.phase('baseline: redis-benchmark', 1, `${o.redisBenchRequests} requests`);
    const rb = await redisBenchmark(servers.redis.port, o.redisBenchRequests);
    const facts = await StoreFacts.open(servers.redis.url, servers.nats.url);
    cleanup.add(() => facts.close());
    await facts.flushAll();

    ui.phase('baseline: NATS publish', 1, `${o.natsMessages} x 1 KiB`);
    const natsRps = await natsPublishRate(servers.nats.url, o.natsMessages);

    ui.phase('fan-out store emulation', 1, `${o.fanoutMembers} members x ${o.fanoutPosts}`);
    await initCrypto();
    const envPool = new EnvelopePool();
    cleanup.add(() => envPool.close());
    const fanoutEmu = await fanoutStoreEmulation(
      servers.redis.url,
      o.fanoutMembers,
      o.fanoutPosts,
      1164,
    );
    const fanoutCeiling = await fanoutStoreEmulation(
      servers.redis.url,
      o.fanoutMembers,
      o.fanoutPosts,
      1164,
      ONE_RPUSH_PROBE,
    );
    const hashRate = postageHashRate(o.quick ? 300 : 1000);

    // ---- mailboxes and envelopes, before anything is timed --------------------------
    ui.phase('mailbox keys', o.mailboxes);
    const relayName = 'bench';
    const mailboxes: OwnedMailbox[] = [];
    for (let i = 0; i < o.mailboxes; i++) {
      mailboxes.push(newMailbox(relayName));
      if (i % 50 === 0) ui.update(i);
    }
    const targets = mailboxes.map((m) => ({ id: m.address.id, publicKey: m.keys.publicKey }));
    let roundRobin = 0;
    let sealedLeft = o.sealed;
    const envelopeCounts = { sealed: 0, synthetic: 0 };
    const makeQuiet = async (count: number, onDone?: (n: number) => void, threads?: number) => {
      const sealed = Math.min(sealedLeft, count);
      const first = roundRobin;
      roundRobin += count;
      sealedLeft -= sealed;
      const set = await envPool.make(
        {
          relay: relayName,
          targets,
          count,
          sealed,
          postageBits: o.postageBits,
          first,
          ...(threads ? { threads } : {}),
        },
        onDone,
      );
      envelopeCounts.sealed += set.sealed;
      envelopeCounts.synthetic += set.synthetic;
      return set;
    };
    const make = (count: number, label: string): Promise<EnvelopeSet> => {
      const sealed = Math.min(sealedLeft, count);
      ui.phase(`sealing: ${label}`, count, `${sealed} sealed, ${count - sealed} synthetic`);
      return makeQuiet(count, (n) => {
        ui.update(n);
      });
    };

    // ---- the relay, as separate processes -------------------------------------------
    ui.phase('starting relay services', 1);
    const profDir = o.cpuProfDir === undefined ? undefined : resolve(o.cpuProfDir);
    if (profDir) {
      await mkdir(profDir, { recursive: true });
      caveats.push(
        'services ran under --cpu-prof: sampling costs them CPU, so this run is for the profile, not the figures',
      );
    }
    const relay: BenchRelay = await startRelayProcesses(servers, {
      postageBits: o.postageBits,
      ...(profDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {}),
    });
    cleanup.add(() => relay.stop());
    const pool = httpPool(relay.operatorUrl, o.clients);
    cleanup.add(() => pool.close());
    const client = new KomradeClient({ transport: poolTransport(pool) });

    ui.phase('mailboxes and sessions', o.mailboxes * 2);
    let prepared = 0;
    await eachLimit(mailboxes, 16, async (m) => {
      await client.createMailbox(m);
      ui.update(++prepared);
    });
    // a one-message fetch opens the session (one Themis signature per mailbox) now, not later
    await eachLimit(mailboxes, 16, async (m) => {
      await client.fetchPage(m, 1);
      ui.update(++prepared);
    });
    const memBefore = await facts.usedMemory();
    const ledger = new Ledger();
    const mailboxIds = mailboxes.map((m) => m.address.id);

    const storedCount = async (): Promise<number | undefined> => {
      const text = await scrape(relay.metricsUrls.sorter);
      return text === undefined
        ? undefined
        : (metricSum(text, 'komrade_sorter_messages_total', { outcome: 'stored' }) ?? 0);
    };
    const pids: Record<string, number> = {
      runner: process.pid,
      'nats-server': servers.nats.pid,
      'redis-server': servers.redis.pid,
    };
    for (const [s, p] of Object.entries(relay.procs)) pids[s] = p.pid;

    // ---- warm-up: JIT-warms the services and sizes the timed set from the rate seen ------
    const warmMs = Math.min(3000, durationMs);
    const warmSet = await make(Math.min(Math.ceil(bareRps * 3), 150_000) + o.clients, 'warm-up');
    const envelopeBytes = warmSet.bytes[0]?.length ?? 0;
    ui.phase('warm-up', warmMs, `${o.clients} clients`);
    const warmFeed = new Feed(warmSet);
    const warm = await closedLoop({
      pool,
      path: '/v1/mail',
      expectStatus: 202,
      clients: o.clients,
      durationMs: warmMs,
      next: warmFeed.take,
      onTick: (ms) => {
        ui.update(ms);
      },
    });
    await facts.waitDrained(120_000);
    warmFeed.record(ledger);
    const warmRps = warm.items / warm.elapsedSec;
    const ingestSet = await make(
      Math.ceil(Math.max(warmRps, 100) * o.durationSec * 1.6) + o.clients,
      'max ingest',
    );

    // ---- max ingest, one envelope per POST --------------------------------------------
    ui.phase('max ingest (closed model)', durationMs, `${o.clients} clients`);
    const cpu = new CpuMeter(pids);
    const stored0 = (await storedCount()) ?? 0;
    await cpu.begin();
    const tIngest = performance.now();
    const ingestFeed = new Feed(ingestSet);
    const ingest = await closedLoop({
      pool,
      path: '/v1/mail',
      expectStatus: 202,
      clients: o.clients,
      durationMs,
      next: ingestFeed.take,
      onTick: (ms) => {
        ui.update(ms);
      },
    });
    const cpuDuringIngest = await cpu.end();
    const ingestRps = ingest.items / ingest.elapsedSec;
    const tDrained = await facts.waitDrained(120_000);
    const stored1 = (await storedCount()) ?? 0;
    const deliveredDps = (stored1 - stored0) / ((tDrained - tIngest) / 1000);
    ingestFeed.record(ledger);
    if (ingest.items < ingestSet.bytes.length * 0.05)
      caveats.push('max ingest accepted very few envelopes: check ingestFailed');
    if (ingestFeed.exhausted)
      caveats.push(
        'max ingest ran out of pre-made envelopes before the phase ended: ingestRps is a lower bound',
      );

    // ---- batched ingest -------------------------------------------------------------
    const batchedSet = await make(
      Math.min(600_000, Math.ceil(ingestRps * o.durationSec * 4) + o.batch * o.clients),
      `${o.batch}/POST ingest`,
    );
    ui.phase(`ingest, ${o.batch} envelopes/POST`, durationMs);
    const batchedFeed = new Feed(batchedSet, o.batch);
    const batched = await closedLoop({
      pool,
      path: '/v1/mail',
      expectStatus: 202,
      clients: o.clients,
      durationMs,
      next: batchedFeed.take,
      onTick: (ms) => {
        ui.update(ms);
      },
    });
    const batchedIngestEps = batched.items / batched.elapsedSec;
    await facts.waitDrained(120_000);
    batchedFeed.record(ledger);

    // ---- latency at 50% and 90% of the maximum (open model) -----------------------------
    const latency: LatencyAtLoad[] = [];
    for (const load of [0.5, 0.9]) {
      const rate = Math.max(1, ingestRps * load);
      const set = await make(Math.ceil(rate * o.durationSec) + 10, `${load * 100}% load`);
      ui.phase(`latency at ${load * 100}% (${Math.round(rate)}/s)`, durationMs);
      const feed = new Feed(set);
      const k = await openLoop({
        pool,
        path: '/v1/mail',
        expectStatus: 202,
        ratePerSec: rate,
        durationMs,
        next: feed.take,
        onTick: (ms) => {
          ui.update(ms);
        },
      });
      await facts.waitDrained(120_000);
      feed.record(ledger);
      ui.phase(`bare fastify at ${Math.round(rate)}/s`, durationMs);
      const b = await openLoop({
        pool: barePool,
        path: '/bare',
        expectStatus: 202,
        ratePerSec: rate,
        durationMs,
        next: bareBody,
        onTick: (ms) => {
          ui.update(ms);
        },
      });
      latency.push({
        load,
        rateRps: rate,
        komrade: k.latency,
        bare: b.latency,
        p99Ratio: k.latency.p99Ms / b.latency.p99Ms,
        accepted: k.items,
        failed: k.failed,
        missed: k.missed,
      });
    }
    await bare.stop();

    // ---- loss checkpoint and memory per message -----------------------------------------
    ui.phase('loss checkpoint, memory', 1);
    await facts.waitDrained(120_000);
    const delivered = await facts.queuedIn(mailboxIds);
    const stillQueued = await facts.streamMessages();
    const memAfter = await facts.usedMemory();
    const checkpoint = {
      accepted: ledger.accepted,
      delivered,
      stillQueued,
      balanced: ledger.accepted === delivered + stillQueued,
    };
    const redisBytesPerMessage = delivered > 0 ? (memAfter - memBefore) / delivered : 0;

    // ---- fetch and ack everything ----------------------------------------------------
    const fetchAll = async (workers: number, onMessages?: (n: number) => void): Promise<number> => {
      let n = 0;
      await eachLimit(mailboxes, workers, async (m) => {
        for (;;) {
          const page = await client.fetchPage(m, o.fetchPage);
          if (page.envelopes.length === 0) return;
          const ids = page.envelopes.map((e) => e.id);
          await client.ack(m, ids);
          for (const id of ids) ledger.fetchedId(id);
          n += page.envelopes.length;
          onMessages?.(n);
          if (page.remaining === 0) return;
        }
      });
      return n;
    };
    ui.phase('fetch + ack', delivered, `${o.clients} clients`);
    const tFetch = performance.now();
    const fetchedNow = await fetchAll(o.clients, (n) => {
      ui.update(n);
    });
    const fetchAckMps = fetchedNow / ((performance.now() - tFetch) / 1000);

    // ---- real fan-out: a collective of collectiveMembers, pre-sealed posts ---------------
    // (set up untimed, then timed from the first POST /v1/fanout until the stream is empty;
    // its member mailboxes are checked and deleted inside, so the final checks stay exact)
    let fanout: CollectiveFanoutResult | null = null;
    let fanoutError: string | undefined;
    try {
      fanout = await collectiveFanout({
        transport: poolTransport(pool),
        relayName,
        postageBits: o.postageBits,
        members: o.collectiveMembers,
        posts: o.collectivePosts,
        inFlight: 4,
        sorterMetricsUrl: relay.metricsUrls.sorter,
        facts,
        ui,
      });
    } catch (e) {
      fanoutError = e instanceof Error ? e.message : String(e);
      caveats.push(`the collective fan-out phase failed: ${fanoutError}`);
    }

    // ---- soak: mixed posting and fetch-and-ack, RSS sampled ---------------------------
    const soakRate = Math.max(1, ingestRps * o.soakLoad);
    const windowSec = Math.min(o.soakSeconds, 10);
    const windows = Math.ceil(o.soakSeconds / windowSec);
    ui.phase('soak: envelopes', 1);
    let nextSet: Promise<EnvelopeSet> = make(Math.ceil(soakRate * windowSec) + 10, 'soak window 1');
    const rssSamples: Record<string, [number, number][]> = {};
    const rssTargets: Record<string, number> = {
      'nats-server': servers.nats.pid,
      'redis-server': servers.redis.pid,
    };
    for (const [s, p] of Object.entries(relay.procs)) rssTargets[s] = p.pid;
    const tSoak = performance.now();
    const sampleRss = async (): Promise<void> => {
      const t = (performance.now() - tSoak) / 1000;
      for (const [name, pid] of Object.entries(rssTargets)) {
        const b = await rssBytes(pid);
        if (b !== undefined) (rssSamples[name] ??= []).push([t, b]);
      }
    };
    await sampleRss();
    let soaking = true;
    const sampler = (async () => {
      while (soaking) {
        await sleep(o.soakSampleSec * 1000);
        if (soaking) await sampleRss();
      }
    })();
    let soakFetched = 0;
    const fetcherCount = Math.max(2, Math.floor(o.clients / 8));
    let soakFetchErrors = 0;
    // readers poll like clients do: each mailbox about once per pollMs, not in a tight loop
    // (a first version polled 1,000 mailboxes back to back and that polling was the load)
    const pollMs = 2000;
    const fetchers = Array.from({ length: fetcherCount }, async (_, w) => {
      while (soaking) {
        const passStart = performance.now();
        for (let i = w; i < mailboxes.length && soaking; i += fetcherCount) {
          const m = mailboxes[i] as OwnedMailbox;
          try {
            const page = await client.fetchPage(m, o.fetchPage);
            if (page.envelopes.length === 0) continue;
            const ids = page.envelopes.map((e) => e.id);
            await client.ack(m, ids);
            // counted once acked: an unacked page comes back and must not look duplicated
            for (const id of ids) ledger.fetchedId(id);
            soakFetched += ids.length;
          } catch {
            soakFetchErrors++;
          }
        }
        await sleep(Math.max(50, pollMs - (performance.now() - passStart)));
      }
    });
    const soakHist = newHistogram();
    const soakFailed: Record<string, number> = {};
    let soakAccepted = 0;
    ui.phase(`soak (${o.soakSeconds} s, ${Math.round(soakRate)}/s)`, o.soakSeconds * 1000);
    for (let w = 0; w < windows; w++) {
      const set = await nextSet;
      // the next window's envelopes are made while this one runs (a small, steady cost)
      if (w + 1 < windows) nextSet = makeQuiet(Math.ceil(soakRate * windowSec) + 10, undefined, 1);
      const feed = new Feed(set);
      const thisWindow = Math.min(windowSec, o.soakSeconds - w * windowSec);
      const r = await openLoop({
        pool,
        path: '/v1/mail',
        expectStatus: 202,
        ratePerSec: soakRate,
        durationMs: thisWindow * 1000,
        next: feed.take,
        onTick: (ms) => {
          ui.update(w * windowSec * 1000 + ms);
        },
        histogram: soakHist,
      });
      soakAccepted += r.items;
      for (const [k, v] of Object.entries(r.failed)) soakFailed[k] = (soakFailed[k] ?? 0) + v;
      feed.record(ledger);
    }
    soaking = false;
    await Promise.all(fetchers);
    await sampleRss();
    await sampler;
    const soakSec = (performance.now() - tSoak) / 1000;
    const rss: Record<string, ReturnType<typeof rssSeries>> = {};
    for (const [name, samples] of Object.entries(rssSamples)) rss[name] = rssSeries(samples);
    const services: readonly ServiceName[] = ['operator', 'sorter', 'purge', 'vouch'];
    const soakGrew = services.some((s) => rss[s]?.grew === true);

    // ---- final drain, fetch what is left, and prove nothing remains --------------------
    ui.phase('final fetch + ack, leftovers', 1);
    await facts.waitDrained(120_000);
    await fetchAll(o.clients);
    const leftover = {
      redisMailKeys: await facts.mailKeysLeft(),
      jetstreamMessages: await facts.streamMessages(),
    };
    let profile: Record<string, ProfileSummary> | undefined;
    if (profDir) {
      // a profile is written when its process exits
      await relay.stop();
      const servicePids: Record<string, number> = {};
      for (const [svc, p] of Object.entries(relay.procs)) servicePids[svc] = p.pid;
      profile = await summarizeProfiles(profDir, servicePids);
    }
    ui.done();

    const fanoutDps = fanout && fanout.writes > 0 ? fanout.deliveriesPerSec : null;
    const half = latency.find((l) => l.load === 0.5);
    const ninety = latency.find((l) => l.load === 0.9);
    const verdict = ledger.verdict();
    const { unexpected } = verdict;
    // the fan-out phase's own check (HLEN of every member mailbox) counts too
    const lost = verdict.lost + (fanout?.lost ?? 0);
    const duplicated = verdict.duplicated + (fanout?.duplicated ?? 0);
    const summary: BenchSummary = {
      schema: 1,
      quick: o.quick,
      machine,
      options: { ...o },
      ingestRps,
      bareRps,
      ingestRatio: ingestRps / bareRps,
      ingestLatency: ingest.latency,
      bareLatency: bareRes.latency,
      ingestFailed: ingest.failed,
      batchedIngestEps,
      batch: o.batch,
      batchedIngestRatio: batchedIngestEps / natsRps,
      deliveredDps,
      deliveredRatio: deliveredDps / rb.rpushRps,
      redisRpushRps: rb.rpushRps,
      redisLpopRps: rb.lpopRps,
      redisBenchmarkCommand: rb.command,
      natsPublishRps: natsRps,
      p99MsAtHalfLoad: half?.komrade.p99Ms ?? Number.NaN,
      p99MsAtNinetyLoad: ninety?.komrade.p99Ms ?? Number.NaN,
      latency,
      fetchAckMps,
      fetchAckRatio: fetchAckMps / rb.lpopRps,
      fanoutDps,
      fanoutRatio: fanoutDps === null ? null : fanoutDps / rb.rpushRps,
      fanoutNote:
        fanoutDps === null
          ? `null: the collective fan-out phase did not measure (${fanoutError ?? 'no deliveries'})`
          : `real fan-out: ${fanout?.members ?? 0} members x ${fanout?.posts ?? 0} posts through POST /v1/fanout and the sorter (see fanout). fanoutEmulation is the runner's own store-script emulation, kept for comparison.`,
      fanout,
      fanoutEmulation: { ...fanoutEmu, ratio: fanoutEmu.deliveriesPerSec / rb.rpushRps },
      fanoutWriteCeiling: {
        ...fanoutCeiling,
        ratio: fanoutCeiling.deliveriesPerSec / rb.rpushRps,
      },
      redisBytesPerMessage,
      envelopeBytes,
      redisMemoryRatio: redisBytesPerMessage / envelopeBytes,
      queuedForMemory: delivered,
      soak: {
        seconds: soakSec,
        rateRps: soakRate,
        accepted: soakAccepted,
        fetched: soakFetched,
        failed: soakFailed,
        fetchErrors: soakFetchErrors,
        latency: summarize(soakHist),
        rss,
        grew: soakGrew,
      },
      cpuDuringIngest,
      postageHashesPerSec: hashRate,
      envelopes: envelopeCounts,
      loss: {
        accepted: ledger.accepted,
        checkpoint,
        fetched: ledger.fetched,
        unexpected,
        leftover,
      },
      lost,
      duplicated,
      targets: {
        ingestRatio: { target: '>= 0.30 (aim 0.5)', met: ingestRps / bareRps >= 0.3 },
        p99MsAtHalfLoad: { target: '< 50 ms', met: (half?.komrade.p99Ms ?? Infinity) < 50 },
        fanoutRatio: {
          target: '>= 0.25',
          met: fanoutDps === null ? null : fanoutDps / rb.rpushRps >= 0.25,
        },
        zeroLoss: { target: 'lost 0, duplicated 0', met: lost === 0 && duplicated === 0 },
        soakFlat: { target: 'no RSS growth', met: !soakGrew },
      },
      ...(profile ? { profile } : {}),
      caveats,
      elapsedSec: (performance.now() - started) / 1000,
    };
    return summary;
  } finally {
    ui.done();
    await cleanup.run();
  }
}
