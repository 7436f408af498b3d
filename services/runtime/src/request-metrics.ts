import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { decodeErrorReply, isErrorReply } from '@komrade/protocol';

/**
 * Counts and times NATS request handling per endpoint (the subject: a fixed, low-cardinality
 * name) and outcome ("ok" or the error code of the reply). Never an identifier.
 */
export class RequestMetrics {
  private readonly count: Counter;
  private readonly duration: Histogram;

  constructor(meter: Meter) {
    this.count = meter.createCounter('komrade_nats_requests_total', {
      description: 'NATS requests handled, by endpoint and outcome',
    });
    this.duration = meter.createHistogram('komrade_nats_request_duration_seconds', {
      description: 'Time to handle a NATS request',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      },
    });
  }

  record(endpoint: string, seconds: number, reply: Uint8Array | undefined): void {
    let outcome = 'ok';
    if (reply === undefined) outcome = 'ERR_SERVICE_INTERNAL';
    else if (isErrorReply(reply)) {
      const c = decodeErrorReply(reply);
      outcome = c.ok ? c.value : 'ERR_SERVICE_INTERNAL';
    }
    this.count.add(1, { endpoint, outcome });
    this.duration.record(seconds, { endpoint });
  }
}
