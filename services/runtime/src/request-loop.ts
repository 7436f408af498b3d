import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { encodeErrorReply } from '@komrade/protocol';
import type { Logger } from './logger.js';
import type { RequestMetrics } from './request-metrics.js';
import type { ServiceStats } from './service-stats.js';

export interface RequestLoopOptions {
  readonly nc: NatsConnection;
  readonly subject: string;
  /** Queue group; omit to have every instance receive every message. */
  readonly queue?: string;
  readonly log: Logger;
  readonly stats?: ServiceStats;
  readonly metrics?: RequestMetrics;
  /** Requests handled at once by this instance. */
  readonly maxInFlight?: number;
  /** Turns a request payload into a reply payload. Never sees NATS types. */
  readonly handle: (data: Uint8Array) => Promise<Uint8Array>;
}

export interface RequestLoop {
  /** Stops taking requests, finishes the ones in flight. */
  stop(): Promise<void>;
  /** Settles when the loop ends; rejects only on a bug in the loop itself. */
  readonly done: Promise<void>;
}

/**
 * Subscribe -> handle -> respond, with per-message error isolation: a handler that
 * throws answers ERR_SERVICE_INTERNAL and is logged without its payload.
 */
export function serveRequests(o: RequestLoopOptions): RequestLoop {
  const sub: Subscription = o.nc.subscribe(o.subject, o.queue ? { queue: o.queue } : {});
  const max = o.maxInFlight ?? 64;
  const inFlight = new Set<Promise<void>>();
  const one = async (data: Uint8Array, respond: (b: Uint8Array) => void): Promise<void> => {
    const t0 = performance.now();
    let failed = false;
    let reply: Uint8Array | undefined;
    try {
      reply = await o.handle(data);
      respond(reply);
    } catch (e) {
      failed = true;
      o.log.error({ err: e, subject: o.subject }, 'request handler failed');
      respond(encodeErrorReply('ERR_SERVICE_INTERNAL'));
    } finally {
      const ms = performance.now() - t0;
      o.stats?.record(o.subject, ms, failed);
      o.metrics?.record(o.subject, ms / 1000, reply);
    }
  };
  const done = (async () => {
    for await (const msg of sub) {
      const p = one(msg.data, (b) => {
        if (msg.reply) msg.respond(b);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= max) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();
  return {
    done,
    async stop() {
      if (!sub.isClosed()) await sub.drain();
      await done;
    },
  };
}
