import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Meter, Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';

/** Telemetry variables every service reads (spread into its loadEnv shape). */
export const telemetryShape = {
  KOMRADE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Unset: no /metrics endpoint. 0: a free port (reported by the service). */
  KOMRADE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  KOMRADE_OTLP_URL: z.url().optional(),
  KOMRADE_TRACE_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(0.05),
};

export interface TelemetryConfig {
  readonly metricsHost: string;
  readonly metricsPort: number | undefined;
  readonly otlpUrl: string | undefined;
  readonly traceSampleRatio: number;
}

export function telemetryConfig(c: {
  KOMRADE_METRICS_HOST: string;
  KOMRADE_METRICS_PORT?: number | undefined;
  KOMRADE_OTLP_URL?: string | undefined;
  KOMRADE_TRACE_SAMPLE_RATIO: number;
}): TelemetryConfig {
  return {
    metricsHost: c.KOMRADE_METRICS_HOST,
    metricsPort: c.KOMRADE_METRICS_PORT,
    otlpUrl: c.KOMRADE_OTLP_URL,
    traceSampleRatio: c.KOMRADE_TRACE_SAMPLE_RATIO,
  };
}

export interface Telemetry extends AsyncDisposable {
  readonly meter: Meter;
  readonly tracer: Tracer;
  /** http://host:port/metrics when a metrics port is configured. */
  readonly metricsUrl: string | undefined;
}

/**
 * Per-service OpenTelemetry: a MeterProvider exported for Prometheus (GET /metrics on its
 * own loopback port) and over OTLP when configured, and a sampled TracerProvider. Nothing
 * is registered globally, so several services can share one process (tests). Resource
 * attributes are the service name and version only: no host, no pid, no address.
 */
export async function startTelemetry(
  service: string,
  version: string,
  c: TelemetryConfig,
  o: { spanExporter?: SpanExporter } = {},
): Promise<Telemetry> {
  const resource = resourceFromAttributes({
    'service.name': `komrade-${service}`,
    'service.version': version,
  });
  const prometheus = new PrometheusExporter({
    preventServerStart: true,
    withoutTargetInfo: true,
    withoutScopeInfo: true,
  });
  const readers: MetricReader[] = [prometheus];
  if (c.otlpUrl)
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${c.otlpUrl.replace(/\/+$/, '')}/v1/metrics` }),
        exportIntervalMillis: 15_000,
      }),
    );
  const meterProvider = new MeterProvider({ resource, readers });
  const meter = meterProvider.getMeter('komrade', version);
  processMetrics(meter);

  const processors: SpanProcessor[] = [];
  if (o.spanExporter) processors.push(new SimpleSpanProcessor(o.spanExporter));
  if (c.otlpUrl)
    processors.push(
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${c.otlpUrl.replace(/\/+$/, '')}/v1/traces` }),
      ),
    );
  const tracerProvider = new BasicTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(c.traceSampleRatio) }),
    spanProcessors: processors,
  });
  const tracer = tracerProvider.getTracer('komrade', version);

  let server: Server | undefined;
  let metricsUrl: string | undefined;
  if (c.metricsPort !== undefined) {
    const srv = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics')
        prometheus.getMetricsRequestHandler(req, res);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(c.metricsPort, c.metricsHost, () => {
        resolve();
      });
    });
    const addr = srv.address();
    const port = typeof addr === 'object' && addr ? addr.port : c.metricsPort;
    metricsUrl = `http://${c.metricsHost.includes(':') ? `[${c.metricsHost}]` : c.metricsHost}:${port}/metrics`;
  }
  return {
    meter,
    tracer,
    metricsUrl,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => {
        if (server)
          server.close(() => {
            resolve();
          });
        else resolve();
      });
      await tracerProvider.shutdown().catch(() => undefined);
      await meterProvider.shutdown().catch(() => undefined);
    },
  };
}

/** Process memory and event-loop delay: the two numbers that tell a relay is in trouble. */
function processMetrics(meter: Meter): void {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  meter
    .createObservableGauge('komrade_process_resident_memory_bytes', {
      description: 'Resident set size',
      unit: 'By',
    })
    .addCallback((r) => {
      r.observe(process.memoryUsage.rss());
    });
  meter
    .createObservableGauge('komrade_process_heap_used_bytes', {
      description: 'V8 heap in use',
      unit: 'By',
    })
    .addCallback((r) => {
      r.observe(process.memoryUsage().heapUsed);
    });
  meter
    .createObservableGauge('komrade_eventloop_delay_p99_seconds', {
      description: 'Event-loop delay, 99th percentile since the last scrape',
      unit: 's',
    })
    .addCallback((r) => {
      r.observe(loop.percentile(99) / 1e9);
      loop.reset();
    });
}
