import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import type { RedisClient } from '@komrade/service-runtime';

/** What purge reports: deletions on ack, expiries, sweep time, Redis memory. */
export class PurgeMetrics {
  readonly acked: Counter;
  readonly expired: Counter;
  readonly sweepSeconds: Histogram;

  constructor(meter: Meter, redis: RedisClient) {
    this.acked = meter.createCounter('komrade_acked_messages_total', {
      description: 'Messages deleted because their recipient acknowledged them',
    });
    this.expired = meter.createCounter('komrade_purge_expired_total', {
      description: 'Messages deleted by the sweep because their lifetime ended',
    });
    this.sweepSeconds = meter.createHistogram('komrade_sweep_duration_seconds', {
      description: 'Time of one full expiry sweep over every Redis node',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 120] },
    });
    const memory = meter.createObservableGauge('komrade_redis_used_memory_bytes', {
      description: 'Memory Redis uses (mailboxes live here)',
      unit: 'By',
    });
    const mailboxes = meter.createObservableGauge('komrade_redis_mailboxes', {
      description: 'Mailboxes currently holding mail (approximate on a cluster: first node only)',
    });
    memory.addCallback(async (r) => {
      const info = await redis.info('memory').catch(() => '');
      const m = /used_memory:(\d+)/.exec(info);
      if (m?.[1]) r.observe(Number(m[1]));
    });
    mailboxes.addCallback(async (r) => {
      try {
        let n = 0;
        let cursor = '0';
        // bounded: a scrape never walks more than ~20k keys
        for (let i = 0; i < 20; i++) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', 'km:mb:*:msg', 'COUNT', 1000);
          n += keys.length;
          cursor = next;
          if (cursor === '0') break;
        }
        r.observe(n);
      } catch {
        // Redis unreachable: no sample
      }
    });
  }
}
