import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  healthSubject,
  queueGroup,
  SUBJECTS,
  type HealthReply,
  type ServiceName,
} from '@komrade/protocol';
import type { Logger } from './logger.js';
import { serveRequests, type RequestLoop } from './request-loop.js';
import type { ServiceStats } from './service-stats.js';

export interface HealthOptions {
  readonly nc: NatsConnection;
  readonly service: ServiceName;
  readonly version: string;
  readonly log: Logger;
  readonly stats: ServiceStats;
  /** Whether the instance can do its work now (backends reachable). */
  readonly ready: () => boolean | Promise<boolean>;
}

/** Ops view of one instance, answered on komrade.v1.ops.ping by every instance. */
export interface OpsPingReply extends HealthReply {
  readonly instance: string;
  readonly endpoints: Record<string, { requests: number; errors: number; avgMs: number }>;
  readonly rssBytes: number;
}

/**
 * Answers health checks (queue group: one instance answers) and ops pings (every
 * instance answers, with an instance id that is random per process).
 */
export function serveHealth(o: HealthOptions): RequestLoop[] {
  const started = Date.now();
  const instance = randomBytes(4).toString('hex');
  const enc = new TextEncoder();
  const reply = async (): Promise<HealthReply> => {
    const ready = await Promise.resolve(o.ready()).catch(() => false);
    return {
      service: o.service,
      ok: true,
      ready,
      version: o.version,
      uptimeSec: Math.round((Date.now() - started) / 1000),
    };
  };
  return [
    serveRequests({
      nc: o.nc,
      subject: healthSubject(o.service),
      queue: queueGroup(o.service),
      log: o.log,
      handle: async () => enc.encode(JSON.stringify(await reply())),
    }),
    serveRequests({
      nc: o.nc,
      subject: SUBJECTS.opsPing,
      log: o.log,
      handle: async () => {
        const r: OpsPingReply = {
          ...(await reply()),
          instance,
          endpoints: o.stats.snapshot(),
          rssBytes: process.memoryUsage.rss(),
        };
        return enc.encode(JSON.stringify(r));
      },
    }),
  ];
}
