import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { MAIL_CONSUMER, STREAMS } from '@komrade/protocol';

/** What the sorter reports: outcomes, latency, lag. Labels are outcome names only. */
export class SorterMetrics {
  readonly sorted: Counter;
  readonly sortSeconds: Histogram;
  readonly mailboxWrites: Counter;
  readonly fanoutSize: Histogram;
  readonly fanoutMissed: Counter;

  constructor(meter: Meter, nc: NatsConnection) {
    this.sorted = meter.createCounter('komrade_sorter_messages_total', {
      description: 'Messages taken from the mail stream, by outcome',
    });
    this.sortSeconds = meter.createHistogram('komrade_sort_duration_seconds', {
      description: 'Time from taking a message off the stream to acking it',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [
          0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5,
        ],
      },
    });
    this.mailboxWrites = meter.createCounter('komrade_mailbox_writes_total', {
      description: 'Envelopes written into Redis mailboxes',
    });
    this.fanoutSize = meter.createHistogram('komrade_fanout_size', {
      description: 'Member mailboxes one post to a collective was copied into',
      advice: { explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 4096] },
    });
    this.fanoutMissed = meter.createCounter('komrade_fanout_missed_total', {
      description:
        'Member mailboxes a collective post did not reach, by reason: over-quota, expired, wrong-key (not registered with the member key), unreachable (on a relay that is no longer a peer)',
    });
    const lag = meter.createObservableGauge('komrade_jetstream_pending_messages', {
      description:
        'Mail waiting in JetStream for the sorter (not yet delivered, or delivered and not acked)',
    });
    lag.addCallback(async (r) => {
      try {
        const jsm = await jetstreamManager(nc);
        const ci = await jsm.consumers.info(STREAMS.mail.name, MAIL_CONSUMER);
        r.observe(ci.num_pending, { state: 'undelivered' });
        r.observe(ci.num_ack_pending, { state: 'unacked' });
      } catch {
        // NATS unreachable: no sample rather than a wrong one
      }
    });
  }
}
