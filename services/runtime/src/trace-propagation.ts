import { context, ROOT_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';

const propagator = new W3CTraceContextPropagator();

/** NATS headers carrying the span's W3C trace context (traceparent/tracestate only). */
export function traceHeaders(span: Span | undefined, into: MsgHdrs = natsHeaders()): MsgHdrs {
  if (!span) return into;
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), into, {
    set: (h, k, v) => {
      h.set(k, v);
    },
  });
  return into;
}

/** The trace context a message arrived with (root when none). */
export function contextFromHeaders(h: MsgHdrs | undefined): Context {
  if (!h) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, h, {
    get: (c, k) => c.get(k) || undefined,
    keys: (c) => c.keys(),
  });
}

export { context, trace };
