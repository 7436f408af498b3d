import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Span } from '@opentelemetry/api';
import {
  encodeEnvelopeBatch,
  KomradeError,
  MAX_BATCH,
  SUBJECTS,
  toHex,
  type DecodedEnvelope,
} from '@komrade/protocol';
import { traceHeaders } from '@komrade/service-runtime';

/** Where accepted envelopes go. Resolves only once each one is stored durably. */
export interface MailSink {
  /** `span`: the request's trace, continued by the sorter through message headers. */
  publish(envelopes: readonly DecodedEnvelope[], span?: Span): Promise<void>;
  /**
   * One envelope for a collective's fan-out address, on the fan-out subject of the same
   * stream (SPEC 20.6). Absent: the relay does not take collective posts.
   */
  publishFanout?(envelope: DecodedEnvelope, span?: Span): Promise<void>;
  /**
   * A peer relay's collective post for members of this relay: a RelayFanout with one
   * Delivery item, on the delivery subject (SPEC 20.9). Absent: no federation.
   */
  publishDelivery?(delivery: Uint8Array, envelopeId: Uint8Array): Promise<void>;
}

/** How the sink groups envelopes of concurrent requests into one JetStream message. */
export interface GroupCommitOptions {
  /** Most envelopes in one message (at most MAX_BATCH); 1 publishes each envelope alone. */
  readonly maxEnvelopes: number;
  /** Most bytes of one EnvelopeBatch message (below the NATS max_payload). */
  readonly maxBytes: number;
}

/** One request waiting for the messages that carry its envelopes to be acked. */
interface Waiter {
  /** Messages not yet acked. */
  left: number;
  done: boolean;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface Queued {
  readonly env: DecodedEnvelope;
  readonly waiter: Waiter;
  readonly span: Span | undefined;
}

/** EnvelopeBatch bytes: header and count, then a u32 length per envelope. */
const BATCH_OVERHEAD = 6;
const SLOT_OVERHEAD = 4;

/**
 * Publishes to the JetStream mail stream and waits for every ack, so the operator's 202
 * means "stored".
 *
 * Group commit (SPEC section 11): one JetStream publish and ack costs the operator far
 * more CPU than the rest of a request, so envelopes of requests that arrive together
 * share one message. When nothing is being published the request's envelopes go out at
 * once (no added latency at low load); otherwise they queue until the end of the current
 * event-loop turn, and everything queued by then leaves as EnvelopeBatch messages of at
 * most `maxEnvelopes` envelopes and `maxBytes` bytes. Each request is answered once every
 * message carrying its envelopes is acked; a failed message fails every request in it
 * (their clients retry; the sorter's store is idempotent by envelope id).
 *
 * A message holding one envelope is the Envelope itself with the envelope id as
 * JetStream message id, so a client retrying it within the duplicate window is kept once
 * by JetStream; batches carry no message id and rely on the sorter's idempotent store.
 */
export class JetStreamMailSink implements MailSink {
  private readonly js: JetStreamClient;
  private queue: Queued[] = [];
  private inFlight = 0;
  private scheduled = false;

  private readonly group: GroupCommitOptions;

  constructor(
    nc: NatsConnection,
    private readonly timeoutMs: number,
    group: GroupCommitOptions = { maxEnvelopes: 1, maxBytes: 0 },
  ) {
    this.js = jetstream(nc, { timeout: timeoutMs });
    // an EnvelopeBatch holds at most MAX_BATCH envelopes (encodeEnvelopeBatch throws beyond)
    this.group = {
      maxEnvelopes: Math.max(1, Math.min(MAX_BATCH, Math.floor(group.maxEnvelopes))),
      maxBytes: group.maxBytes,
    };
  }

  publish(envelopes: readonly DecodedEnvelope[], span?: Span): Promise<void> {
    if (envelopes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { left: 0, done: false, resolve, reject };
      for (const env of envelopes) this.queue.push({ env, waiter, span });
      if (this.scheduled) return;
      // idle: nobody to share a message with, so waiting would only add latency
      if (this.inFlight === 0) this.flush();
      else {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  async publishFanout(envelope: DecodedEnvelope, span?: Span): Promise<void> {
    try {
      await this.js.publish(SUBJECTS.mailFanout, envelope.bytes, {
        msgID: toHex(envelope.id),
        timeout: this.timeoutMs,
        ...(span ? { headers: traceHeaders(span) } : {}),
      });
    } catch (e) {
      throw serviceError(e);
    }
  }

  async publishDelivery(delivery: Uint8Array, envelopeId: Uint8Array): Promise<void> {
    // its own message id space: the same envelope may have passed here as a post
    try {
      await this.js.publish(SUBJECTS.mailDelivery, delivery, {
        msgID: `d.${toHex(envelopeId)}`,
        timeout: this.timeoutMs,
      });
    } catch (e) {
      throw serviceError(e);
    }
  }

  /** Sends everything queued, cut into messages within the group limits. */
  private flush(): void {
    const q = this.queue;
    this.queue = [];
    const { maxEnvelopes, maxBytes } = this.group;
    let i = 0;
    while (i < q.length) {
      let j = i + 1;
      let bytes = BATCH_OVERHEAD + SLOT_OVERHEAD + (q[i]?.env.bytes.length ?? 0);
      while (j < q.length && j - i < maxEnvelopes) {
        const next = SLOT_OVERHEAD + (q[j]?.env.bytes.length ?? 0);
        if (bytes + next > maxBytes) break;
        bytes += next;
        j++;
      }
      this.send(q.slice(i, j));
      i = j;
    }
  }

  private send(part: readonly Queued[]): void {
    const waiters = new Set(part.map((p) => p.waiter));
    for (const w of waiters) w.left++;
    const one = part.length === 1 ? part[0] : undefined;
    const span = part.find((p) => p.span)?.span;
    this.inFlight++;
    const sent = this.js.publish(
      SUBJECTS.mailInbound,
      one ? one.env.bytes : encodeEnvelopeBatch(part.map((p) => p.env.bytes)),
      {
        ...(one ? { msgID: toHex(one.env.id) } : {}),
        timeout: this.timeoutMs,
        ...(span ? { headers: traceHeaders(span) } : {}),
      },
    );
    sent.then(
      () => {
        this.inFlight--;
        for (const w of waiters)
          if (--w.left === 0 && !w.done) {
            w.done = true;
            w.resolve();
          }
      },
      (e: unknown) => {
        this.inFlight--;
        const err = serviceError(e);
        for (const w of waiters)
          if (!w.done) {
            w.done = true;
            w.reject(err);
          }
      },
    );
  }
}

function serviceError(e: unknown): KomradeError {
  const msg = e instanceof Error ? e.message : '';
  return new KomradeError(/timeout/i.test(msg) ? 'ERR_SERVICE_TIMEOUT' : 'ERR_SERVICE_UNAVAILABLE');
}
