import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import type { PostageGovernor } from './postage-governor.js';

/** HTTP and envelope metrics. Labels: route templates, status codes, error codes. */
export class OperatorMetrics {
  readonly requests: Counter;
  readonly requestSeconds: Histogram;
  readonly envelopes: Counter;

  constructor(meter: Meter, postage: PostageGovernor) {
    this.requests = meter.createCounter('komrade_http_requests_total', {
      description: 'HTTP requests answered, by route and status',
    });
    this.requestSeconds = meter.createHistogram('komrade_http_request_duration_seconds', {
      description: 'Time to answer an HTTP request, by route',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      },
    });
    this.envelopes = meter.createCounter('komrade_envelopes_total', {
      description: 'Envelopes posted to the operator, by outcome (accepted or the error code)',
    });
    meter
      .createObservableGauge('komrade_postage_difficulty_bits', {
        description: 'Proof-of-work difficulty clients must meet now',
      })
      .addCallback((r) => {
        r.observe(postage.currentBits);
      });
  }
}
