import { jetstream, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { decodeEnvelope, MAIL_CONSUMER, STREAMS, SUBJECTS } from '@komrade/protocol';
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
 * Outcome of sorting one message; `ack` only once Redis has it (or it can never be
 * stored), so a sorter that dies mid-way leaves the message to be redelivered.
 */
export async function sortOne(
  deps: Pick<
    SortDeps,
    'store' | 'relayName' | 'quota' | 'maxTtlMs' | 'now' | 'quotaRetryMs' | 'outbound'
  >,
  data: Uint8Array,
  seq: number,
): Promise<{
  action: 'ack' | 'term' | 'nak';
  delayMs?: number;
  outcome: StoreOutcome | 'invalid' | 'forwarded';
}> {
  const env = decodeEnvelope(data);
  // a peer's mail: acked only once the outbound stream holds it (a throw naks it)
  if (env.ok && env.value.to.relay !== deps.relayName && deps.outbound?.has(env.value.to.relay)) {
    await deps.outbound.publish(env.value);
    return { action: 'ack', outcome: 'forwarded' };
  }
  if (!env.ok || env.value.to.relay !== deps.relayName)
    return { action: 'term', outcome: 'invalid' };
  const now = deps.now();
  const expiresAt = Math.min((env.value.expiryHour + 1) * 3_600_000, now + deps.maxTtlMs);
  const outcome = await deps.store.store(
    env.value.to.id,
    env.value.id,
    env.value.bytes,
    seq,
    expiresAt,
    deps.quota,
    now,
  );
  if (outcome === 'over-quota') return { action: 'nak', delayMs: deps.quotaRetryMs, outcome };
  return { action: 'ack', outcome };
}

/**
 * A post to a collective's fan-out address: one write per member mailbox, acked only once
 * every write is done (a throw naks it, for the caller to count as a retry).
 */
async function fanOut(deps: SortDeps, m: JsMsg, span: ReturnType<Tracer['startSpan']>) {
  const members = deps.members;
  // a peer's delivery names its mailboxes itself; a post needs vouch's member list
  const r: FanoutReport | undefined =
    m.subject === SUBJECTS.mailDelivery
      ? await sortDelivery(deps, m.data, m.seq)
      : members
        ? await sortFanout({ ...deps, members }, m.data, m.seq)
        : undefined;
  const outcome = r?.outcome ?? 'invalid';
  deps.counts[outcome]++;
  deps.metrics.sorted.add(1, { outcome });
  span.setAttribute('komrade.outcome', outcome);
  if (r?.action === 'ack') {
    if (r.outcome === 'fanout') deps.metrics.fanoutSize.record(r.members);
    deps.metrics.mailboxWrites.add(r.outcomes.stored);
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
