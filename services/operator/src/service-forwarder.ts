import type { NatsConnection } from '@nats-io/nats-core';
import { KomradeError } from '@komrade/protocol';

/** Sends a request body to the service behind a subject and returns its reply bytes. */
export type Forwarder = (subject: string, body: Uint8Array) => Promise<Uint8Array>;

/** NATS request/reply; no responders -> 503, timeout -> 504 (both retryable). */
export function natsForwarder(nc: NatsConnection, timeoutMs: number): Forwarder {
  return async (subject, body) => {
    try {
      const m = await nc.request(subject, body, { timeout: timeoutMs });
      return m.data;
    } catch (e) {
      const name = e instanceof Error ? `${e.name} ${e.message}` : '';
      throw new KomradeError(
        /timeout/i.test(name) ? 'ERR_SERVICE_TIMEOUT' : 'ERR_SERVICE_UNAVAILABLE',
      );
    }
  };
}
