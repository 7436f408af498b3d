import { jetstream, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  decodeEnvelope,
  decodeEnvelopeBatch,
  MAIL_CONSUMER,
  MAX_BATCH,
  MessageType,
  STREAMS,
  SUBJECTS,
  toHex,
  type DecodedEnvelope,
} from '@komrade/protocol';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { contextFromHeaders, type Logger } from '@komrade/service-runtime';
import { sortDelivery, sortFanout, type FanoutReport, type MemberLookup } from './fanout.js';
import type { SorterMetrics } from './sorter-metrics.js';
import type { OutboundQueue } from './forward-queue.js';
import type { SorterMailboxStore, StoreOutcome } from './mailbox-store.js';

export interface SortDeps {
  readonly nc: NatsConnection;
  readonly store: SorterMailboxStore;
  readonly log: Logger;
  readonly relayName: string;
  readonly quota: number;
  readonly maxTtlMs: number;
  readonly concurrency: number;
  /** Wait before a full mailbox's mail is offered again; it stays in JetStream meanwhile. */
  readonly quotaRetryMs: number;
  readonly now: () => number;
  readonly counts: SortCounts;
  readonly metrics: SorterMetrics;
  readonly tracer: Tracer;
  /** Federation: mail for peer relays goes here instead of a mailbox (SPEC.md 19.4). */
  readonly outbound?: OutboundQueue | undefined;
  /** Collectives: who a fan-out address reaches (SPEC.md 20.6); without it, fan-out mail is dropped. */
  readonly members?: MemberLookup | undefined;
}

/** Low-cardinality counters of what the sorter did (outcome names only). */
export type SortCounts = Record<
  StoreOutcome | 'invalid' | 'retry' | 'forwarded' | 'fanout',
  number
>;

export function newSortCounts(): SortCounts {
  return {
    stored: 0,
    duplicate: 0,
    'over-quota': 0,
    expired: 0,
    invalid: 0,
    retry: 0,
    forwarded: 0,
    fanout: 0,
  };
}

const REDIS_RETRY_MS = 1_000;

/**
 * The arrival score of an envelope in its mailbox's order index: the stream sequence of
 * the message that carried it, times MAX_BATCH, plus its position in that message, so
 * the envelopes of one group-committed batch keep their order (SPEC section 12).
 */
export function arrivalScore(seq: number, index: number): number {
  return seq * MAX_BATCH + index;
}

type SortOneDeps = Pick<
  SortDeps,
  'store' | 'relayName' | 'quota' | 'maxTtlMs' | 'now' | 'quotaRetryMs' | 'outbound'
>;
type EnvelopeOutcome = StoreOutcome | 'invalid' | 'forwarded';

/** Files one decoded envelope: into its mailbox, or to a peer relay's outbound queue. */
async function sortEnvelope(
  deps: SortOneDeps,
  env: DecodedEnvelope,
  arrival: number,
): Promise<EnvelopeOutcome> {
  // a peer's mail: done only once the outbound stream holds it (a throw naks it)
  if (env.to.relay !== deps.relayName && deps.outbound?.has(env.to.relay)) {
    await deps.outbound.publish(env);
    return 'forwarded';
  }
  if (env.to.relay !== deps.relayName) return 'invalid';
  const now = deps.now();
  const expiresAt = Math.min((env.expiryHour + 1) * 3_600_000, now + deps.maxTtlMs);
  return deps.store.store(env.to.id, env.id, env.bytes, arrival, expiresAt, deps.quota, now);
}

/**
 * Outcome of sorting one message that holds one Envelope; `ack` only once Redis has it
 * (or it can never be stored), so a sorter that dies mid-way leaves the message to be
 * redelivered.
 */
export async function sortOne(
  deps: SortOneDeps,
  data: Uint8Array,
  seq: number,
): Promise<{
  action: 'ack' | 'term' | 'nak';
  delayMs?: number;
  outcome: EnvelopeOutcome;
}> {
  const env = decodeEnvelope(data);
  if (!env.ok) return { action: 'term', outcome: 'invalid' };
  const outcome = await sortEnvelope(deps, env.value, arrivalScore(seq, 0));
  if (outcome === 'invalid') return { action: 'term', outcome };
  if (outcome === 'over-quota') return { action: 'nak', delayMs: deps.quotaRetryMs, outcome };
  return { action: 'ack', outcome };
}

/**
 * Sorts one group-committed message (an EnvelopeBatch, SPEC section 11): every envelope
 * at once, each as sortOne would (this relay's envelopes with one bulk store call per
 * Redis node, a peer's through the outbound queue). An envelope whose mailbox is over its quota cannot
 * wait in JetStream inside the batch without holding back the others, so it is put back
 * on the inbound subject alone (envelope id as message id, so a redelivered batch puts
 * it back once), where it waits like any single envelope; then the batch is acked. A
 * throw (Redis, the outbound or inbound stream) naks the whole batch: what was stored is
 * stored again as a duplicate (idempotent by envelope id, ack tombstones). An undecodable
 * batch is terminated.
 */
export async function sortBatch(
  deps: SortOneDeps & { readonly requeue: (env: DecodedEnvelope) => Promise<void> },
  data: Uint8Array,
  seq: number,
): Promise<{ action: 'ack' | 'term'; outcomes: EnvelopeOutcome[] }> {
  const batch = decodeEnvelopeBatch(data);
  if (!batch.ok) return { action: 'term', outcomes: ['invalid'] };
  const envs = batch.value;
  const outcomes: EnvelopeOutcome[] = [];
  const local: number[] = [];
  const away: Promise<void>[] = [];
  envs.forEach((e, i) => {
    if (e.to.relay === deps.relayName) local.push(i);
    else if (deps.outbound?.has(e.to.relay)) {
      outcomes[i] = 'forwarded';
      away.push(deps.outbound.publish(e));
    } else outcomes[i] = 'invalid';
  });
  // this relay's mail: one bulk store call per Redis node rather than one per envelope
  const now = deps.now();
  const [stored] = await Promise.all([
    local.length > 0
      ? deps.store.storeBatch(
          local.map((i) => {
            const e = envs[i] as DecodedEnvelope;
            return {
              mailboxId: e.to.id,
              envelopeId: e.id,
              envelope: e.bytes,
              seq: arrivalScore(seq, i),
              expiresAtMs: Math.min((e.expiryHour + 1) * 3_600_000, now + deps.maxTtlMs),
            };
          }),
          deps.quota,
          now,
        )
      : Promise.resolve([]),
    ...away,
  ]);
  local.forEach((i, k) => {
    outcomes[i] = stored[k] ?? 'invalid';
  });
  await Promise.all(
    envs.filter((_, i) => outcomes[i] === 'over-quota').map((e) => deps.requeue(e)),
  );
  return { action: 'ack', outcomes };
}

/** True for a group-committed message (EnvelopeBatch); a single Envelope otherwise. */
function isBatch(data: Uint8Array): boolean {
  return data.length >= 4 && data[3] === MessageType.EnvelopeBatch;
}

/** Why a member mailbox missed a collective post (komrade_fanout_missed_total). */
const MISSED = ['over-quota', 'expired', 'wrong-key', 'unreachable'] as const;

/**
 * A post to a collective's fan-out address: one write per member mailbox, acked only once
 * every write is done (a throw naks it, for the caller to count as a retry).
 */
async function fanOut(deps: SortDeps, m: JsMsg, span: ReturnType<Tracer['startSpan']>) {
  const members = deps.members;
  // a peer's delivery names its mailboxes itself; a post needs vouch's member list
  const r: FanoutReport | undefined =
    m.subject === SUBJECTS.mailDelivery
      ? await sortDelivery(deps, m.data, arrivalScore(m.seq, 0))
      : members
        ? await sortFanout({ ...deps, members }, m.data, arrivalScore(m.seq, 0))
        : undefined;
  const outcome = r?.outcome ?? 'invalid';
  deps.counts[outcome]++;
  deps.metrics.sorted.add(1, { outcome });
  span.setAttribute('komrade.outcome', outcome);
  if (r?.action === 'ack') {
    if (r.outcome === 'fanout') deps.metrics.fanoutSize.record(r.members);
    deps.metrics.mailboxWrites.add(r.outcomes.stored);
    for (const reason of MISSED) {
      const n = reason === 'unreachable' ? r.unreachable : r.outcomes[reason];
      if (n > 0) deps.metrics.fanoutMissed.add(n, { reason });
    }
    m.ack();
  } else {
    deps.log.warn('dropped a post for an unknown fan-out address');
    m.term();
  }
}

/** Pulls from the mail stream and sorts with bounded concurrency (Redis auto-pipelines). */
export async function startSortLoop(deps: SortDeps): Promise<{ stop(): Promise<void> }> {
  const js = jetstream(deps.nc);
  const consumer = await js.consumers.get(STREAMS.mail.name, MAIL_CONSUMER);
  const messages = await consumer.consume({ max_messages: Math.max(deps.concurrency * 2, 64) });
  // an over-quota envelope out of a batch goes back on the inbound subject alone
  const requeue = async (env: DecodedEnvelope): Promise<void> => {
    await js.publish(SUBJECTS.mailInbound, env.bytes, { msgID: toHex(env.id) });
  };
  const inFlight = new Set<Promise<void>>();

  const handle = async (m: JsMsg): Promise<void> => {
    const t0 = performance.now();
    // continues the operator's trace (context in the message headers); no identifiers
    const span = deps.tracer.startSpan('sorter.sort', {}, contextFromHeaders(m.headers));
    try {
      if (m.subject === SUBJECTS.mailFanout || m.subject === SUBJECTS.mailDelivery) {
        await fanOut(deps, m, span);
        return;
      }
      if (isBatch(m.data)) {
        const b = await sortBatch({ ...deps, requeue }, m.data, m.seq);
        span.setAttribute('komrade.envelopes', b.outcomes.length);
        // one metric update per outcome, not per envelope
        const tally = new Map<EnvelopeOutcome, number>();
        for (const outcome of b.outcomes) tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
        for (const [outcome, n] of tally) {
          deps.counts[outcome] += n;
          deps.metrics.sorted.add(n, { outcome });
          if (outcome === 'stored') deps.metrics.mailboxWrites.add(n);
        }
        if (b.action === 'ack') m.ack();
        else {
          deps.log.warn('dropped an undecodable batch from the mail stream');
          m.term();
        }
        return;
      }
      const r = await sortOne(deps, m.data, m.seq);
      deps.counts[r.outcome]++;
      deps.metrics.sorted.add(1, { outcome: r.outcome });
      if (r.outcome === 'stored') deps.metrics.mailboxWrites.add(1);
      span.setAttribute('komrade.outcome', r.outcome);
      if (r.action === 'ack') m.ack();
      else if (r.action === 'nak') m.nak(r.delayMs);
      else {
        deps.log.warn('dropped an undecodable message from the mail stream');
        m.term();
      }
    } catch (e) {
      deps.counts.retry++;
      deps.metrics.sorted.add(1, { outcome: 'retry' });
      span.setStatus({ code: SpanStatusCode.ERROR });
      deps.log.error({ err: e }, 'sorting failed; message will be redelivered');
      m.nak(REDIS_RETRY_MS);
    } finally {
      deps.metrics.sortSeconds.record((performance.now() - t0) / 1000);
      span.end();
    }
  };

  const loop = (async () => {
    for await (const m of messages) {
      const p = handle(m);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= deps.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();

  return {
    async stop() {
      messages.stop();
      await loop;
    },
  };
}
