import {
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';

const propagator = new W3CTraceContextPropagator();

const setter: TextMapSetter<MsgHdrs> = {
  set: (h, k, v) => {
    h.set(k, v);
  },
};

const getter: TextMapGetter<MsgHdrs> = {
  get: (h, k) => h.get(k) || undefined,
  keys: (h) => h.keys(),
};

/** NATS headers carrying the span's W3C trace context (traceparent/tracestate only). */
export function traceHeaders(span: Span | undefined, into: MsgHdrs = natsHeaders()): MsgHdrs {
  // only sampled traces travel: an unsampled id would still tie the envelopes of one
  // request together while they wait in JetStream, for no benefit
  if (span && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0)
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), into, setter);
  return into;
}

/** The trace context a message arrived with (root when none). */
export function contextFromHeaders(h: MsgHdrs | undefined): Context {
  return h ? propagator.extract(ROOT_CONTEXT, h, getter) : ROOT_CONTEXT;
}
