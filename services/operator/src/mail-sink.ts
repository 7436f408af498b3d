import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Span } from '@opentelemetry/api';
import { KomradeError, SUBJECTS, toHex, type DecodedEnvelope } from '@komrade/protocol';
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

/**
 * Publishes to the JetStream mail stream and waits for every ack, so the operator's 202
 * means "stored". The envelope id is the JetStream message id: a client retrying the
 * same envelope within the duplicate window is stored once.
 */
export class JetStreamMailSink implements MailSink {
  private readonly js: JetStreamClient;
  constructor(
    nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.js = jetstream(nc, { timeout: timeoutMs });
  }

  async publish(envelopes: readonly DecodedEnvelope[], span?: Span): Promise<void> {
    await this.publishOn(SUBJECTS.mailInbound, envelopes, span);
  }

  async publishFanout(envelope: DecodedEnvelope, span?: Span): Promise<void> {
    await this.publishOn(SUBJECTS.mailFanout, [envelope], span);
  }

  async publishDelivery(delivery: Uint8Array, envelopeId: Uint8Array): Promise<void> {
    // its own message id space: the same envelope may have passed here as a post
    await this.guard(
      this.js.publish(SUBJECTS.mailDelivery, delivery, {
        msgID: `d.${toHex(envelopeId)}`,
        timeout: this.timeoutMs,
      }),
    );
  }

  private async guard(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (e) {
      const msg = e instanceof Error ? e.message : '';
      throw new KomradeError(
        /timeout/i.test(msg) ? 'ERR_SERVICE_TIMEOUT' : 'ERR_SERVICE_UNAVAILABLE',
      );
    }
  }

  private async publishOn(
    subject: string,
    envelopes: readonly DecodedEnvelope[],
    span?: Span,
  ): Promise<void> {
    await this.guard(
      Promise.all(
        envelopes.map((e) =>
          this.js.publish(subject, e.bytes, {
            msgID: toHex(e.id),
            timeout: this.timeoutMs,
            ...(span ? { headers: traceHeaders(span) } : {}),
          }),
        ),
      ),
    );
  }
}
