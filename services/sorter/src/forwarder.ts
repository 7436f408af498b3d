import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Counter, Meter } from '@opentelemetry/api';
import {
  decodeEnvelope,
  decodeRelayFanout,
  decodeRelayMailReceipt,
  encodeEnvelopeBatch,
  encodeRelayFanout,
  MessageType,
  MAX_BATCH,
  OUTBOUND_STREAM,
  outboundConsumer,
  ReceiptOutcome,
  RelayKind,
  toHex,
  type FanoutItem,
} from '@komrade/protocol';
import type { Logger, Peer, PeerClient } from '@komrade/service-runtime';

/** Forwarding metrics. Labels: peer names (public and few) and outcome names. */
export class ForwardMetrics {
  readonly forwarded: Counter;
  readonly retries: Counter;

  constructor(meter: Meter, nc: NatsConnection, peers: readonly string[]) {
    this.forwarded = meter.createCounter('komrade_relay_forwarded_envelopes_total', {
      description: 'Envelopes forwarded to peer relays, by peer and outcome (stored or refused)',
    });
    this.retries = meter.createCounter('komrade_relay_forward_retries_total', {
      description: 'Batches to a peer relay that failed and will be retried, by peer',
    });
    meter
      .createObservableGauge('komrade_relay_outbound_pending_messages', {
        description:
          'Mail waiting in the outbound stream for a peer relay (undelivered, or delivered and not acked)',
      })
      .addCallback(async (r) => {
        try {
          const jsm = await jetstreamManager(nc);
          for (const peer of peers) {
            const ci = await jsm.consumers.info(OUTBOUND_STREAM.name, outboundConsumer(peer));
            r.observe(ci.num_pending, { peer, state: 'undelivered' });
            r.observe(ci.num_ack_pending, { peer, state: 'unacked' });
          }
        } catch {
          // NATS unreachable: no sample rather than a wrong one
        }
      });
  }
}

export interface ForwarderDeps {
  readonly nc: NatsConnection;
  readonly client: PeerClient;
  readonly peers: readonly Peer[];
  readonly log: Logger;
  readonly metrics: ForwardMetrics | undefined;
  /** Most envelope bytes in one request (the peer's operator has a body limit). */
  readonly batchBytes: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** How long one pull waits for mail before looking again (default 5 s). */
  readonly pullWaitMs?: number;
}

/** Splits messages into request-sized batches: at most MAX_BATCH and `maxBytes` each. */
export function chunkByBytes<T extends { data: Uint8Array }>(
  msgs: readonly T[],
  maxBytes: number,
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const m of msgs) {
    if (cur.length > 0 && (cur.length >= MAX_BATCH || bytes + m.data.length + 4 > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += m.data.length + 4;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Exponential backoff: min, 2 min, 4 min, ... capped at max. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(failures, 30));
}

/** Mail (Envelope) and collective posts (RelayFanout) travel in separate requests. */
export function isFanoutMessage(m: { data: Uint8Array }): boolean {
  return m.data[3] === MessageType.RelayFanout;
}

/** The envelope id of an outbound message of either kind; undefined when it does not decode. */
function envelopeIdOf(data: Uint8Array): Uint8Array | undefined {
  if (data[3] === MessageType.RelayFanout) {
    const d = decodeRelayFanout(data);
    return d.ok && d.value.length === 1 ? d.value[0]?.envelope.id : undefined;
  }
  const env = decodeEnvelope(data);
  return env.ok ? env.value.id : undefined;
}

/**
 * Sends one batch to the peer and settles each message by the peer's signed receipt:
 * stored -> ack, refused -> term (it can never be delivered). True when the peer
 * answered with a valid receipt; false (nothing settled) otherwise. A batch is all mail
 * (one MailRequest) or all collective posts (one FanoutRequest, SPEC 20.9).
 */
export async function deliverBatch(
  deps: Pick<ForwarderDeps, 'client' | 'log' | 'metrics'>,
  peer: Peer,
  msgs: readonly JsMsg[],
): Promise<{ ok: boolean; code?: string }> {
  const live: JsMsg[] = [];
  const bytes: Uint8Array[] = [];
  const items: FanoutItem[] = [];
  for (const m of msgs) {
    if (isFanoutMessage(m)) {
      const d = decodeRelayFanout(m.data);
      const item = d.ok && d.value.length === 1 ? d.value[0] : undefined;
      if (item) {
        live.push(m);
        items.push(item);
        continue;
      }
    } else {
      const env = decodeEnvelope(m.data);
      if (env.ok && env.value.to.relay === peer.name) {
        live.push(m);
        bytes.push(env.value.bytes);
        continue;
      }
    }
    // only the sorter writes here, after decoding: a bad message is a bug, never retried
    deps.log.warn('dropped an undecodable message from the outbound stream');
    m.term();
  }
  if (live.length === 0) return { ok: true };
  if (items.length > 0 && bytes.length > 0) throw new Error('mixed outbound batch');
  const res =
    items.length > 0
      ? await deps.client.send(peer, RelayKind.FanoutRequest, encodeRelayFanout(items))
      : await deps.client.send(peer, RelayKind.MailRequest, encodeEnvelopeBatch(bytes));
  if (!res.ok) return { ok: false, code: res.code };
  const receipt = decodeRelayMailReceipt(res.value);
  if (!receipt.ok) return { ok: false, code: receipt.code };
  const outcomes = new Map(receipt.value.map((e) => [toHex(e.id), e.outcome]));
  let stored = 0;
  let refused = 0;
  for (const m of live) {
    const id = envelopeIdOf(m.data);
    const outcome = id ? outcomes.get(toHex(id)) : undefined;
    if (outcome === ReceiptOutcome.Stored) {
      m.ack();
      stored++;
    } else if (outcome === ReceiptOutcome.Refused) {
      m.term();
      refused++;
    } else {
      m.nak();
    }
  }
  if (stored > 0) deps.metrics?.forwarded.add(stored, { peer: peer.name, outcome: 'stored' });
  if (refused > 0) deps.metrics?.forwarded.add(refused, { peer: peer.name, outcome: 'refused' });
  return { ok: true };
}

/**
 * One loop per peer: pull a batch from the peer's durable consumer, deliver it, ack by
 * the receipt; on failure, nak with the current backoff and wait that long before pulling
 * again (so a peer that is down costs one request per backoff). Several sorters share
 * each consumer. Nothing is ever dropped here: mail leaves the outbound stream only by
 * the peer's signed receipt or by expiry.
 */
export function startForwarders(deps: ForwarderDeps): { stop(): Promise<void> } {
  const js = jetstream(deps.nc);
  const abort = new AbortController();
  const stops: (() => void)[] = [];

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (abort.signal.aborted) {
        resolve();
        return;
      }
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        abort.signal.removeEventListener('abort', done);
        resolve();
      }
      abort.signal.addEventListener('abort', done);
    });

  const run = async (peer: Peer): Promise<void> => {
    const consumer = await js.consumers.get(OUTBOUND_STREAM.name, outboundConsumer(peer.name));
    let failures = 0;
    while (!abort.signal.aborted) {
      let msgs: JsMsg[] = [];
      try {
        const batch = await consumer.fetch({
          max_messages: MAX_BATCH,
          expires: deps.pullWaitMs ?? 5000,
        });
        const stop = (): void => {
          batch.stop();
        };
        stops.push(stop);
        for await (const m of batch) msgs.push(m);
        stops.splice(stops.indexOf(stop), 1);
      } catch (e) {
        deps.log.warn({ err: e }, 'pulling from the outbound stream failed');
        for (const m of msgs) m.nak();
        msgs = [];
        await sleep(backoffMs(failures++, deps.retryMinMs, deps.retryMaxMs));
        continue;
      }
      if (msgs.length === 0) continue;
      const chunks = [
        ...chunkByBytes(
          msgs.filter((m) => !isFanoutMessage(m)),
          deps.batchBytes,
        ),
        ...chunkByBytes(msgs.filter(isFanoutMessage), deps.batchBytes),
      ];
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i] as JsMsg[];
        let result: { ok: boolean; code?: string };
        try {
          result = await deliverBatch(deps, peer, chunk);
        } catch (e) {
          deps.log.error({ err: e }, 'forwarding failed');
          result = { ok: false };
        }
        if (result.ok) {
          failures = 0;
          continue;
        }
        // peer down, busy, over quota, or not answering with a valid receipt: try later
        const wait = backoffMs(failures++, deps.retryMinMs, deps.retryMaxMs);
        deps.metrics?.retries.add(1, { peer: peer.name });
        deps.log.info(
          { peer: peer.name, code: result.code, retryMs: wait },
          'peer relay not reached; retrying later',
        );
        for (const rest of chunks.slice(i)) for (const m of rest) m.nak(wait);
        await sleep(wait);
        break;
      }
    }
  };

  // NATS away (a restart): start over after a while, never give up while running
  const loop = async (peer: Peer): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        await run(peer);
      } catch (e) {
        deps.log.warn({ err: e, peer: peer.name }, 'forwarder restarting');
        await sleep(deps.retryMaxMs);
      }
    }
  };

  const loops = deps.peers.map((p) => loop(p));
  return {
    async stop() {
      abort.abort();
      for (const s of stops) s();
      await Promise.all(loops);
    },
  };
}
