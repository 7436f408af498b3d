import type { FastifyInstance } from 'fastify';
import {
  connectNats,
  createLogger,
  ensureMailStream,
  serveHealth,
  startTelemetry,
  ServiceStats,
  type Logger,
  type RequestLoop,
} from '@komrade/service-runtime';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { buildApp } from './app.js';
import { OperatorMetrics } from './operator-metrics.js';
import { isLoopbackOnly, listenTarget } from './bind-policy.js';
import type { OperatorConfig } from './config.js';
import { startFederation } from './federation.js';
import { JetStreamMailSink } from './mail-sink.js';
import { PostageGovernor } from './postage-governor.js';
import { natsForwarder } from './service-forwarder.js';
import { VERSION } from './version.js';

export interface OperatorStartDeps {
  readonly log?: Logger;
  readonly now?: () => number;
  readonly spanExporter?: SpanExporter;
}

export interface RunningOperator extends AsyncDisposable {
  /** http://host:port or unix:/path, where the operator listens. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly postage: PostageGovernor;
  readonly metricsUrl: string | undefined;
}

/**
 * Starts the operator: connects to NATS, makes sure the mail stream exists, and listens
 * on loopback or a unix socket only (it is meant to sit behind a Tor onion service).
 */
export async function start(
  config: OperatorConfig,
  deps: OperatorStartDeps = {},
): Promise<RunningOperator> {
  const log = deps.log ?? createLogger('operator', config.logLevel);
  const target = listenTarget(config.host, config.port);
  if (!isLoopbackOnly(target)) {
    if (!config.devAllowPublicBind)
      throw new Error(
        `refusing to listen on ${config.host}: the operator must be reachable only through Tor. ` +
          'Use 127.0.0.1, ::1 or a unix socket, or set KOMRADE_DEV_ALLOW_PUBLIC_BIND=1 for development.',
      );
    log.warn(
      'DEVELOPMENT MODE: operator listening on a non-loopback address; it is reachable without Tor',
    );
  }
  const nc = await connectNats(config.natsUrls, 'komrade-operator');
  try {
    await ensureMailStream(nc, {
      maxAgeSec: config.mailMaxTtlSec,
      replicas: config.jsReplicas,
      maxBytes: config.mailStreamMaxBytes,
      duplicateWindowSec: 120,
    });
  } catch (e) {
    await nc.close();
    throw e;
  }
  const postage = new PostageGovernor({
    baseBits: config.postageBits,
    auto: config.postageAuto,
    targetRps: config.postageTargetRps,
  });
  postage.start();
  const telemetry = await startTelemetry(
    'operator',
    VERSION,
    config.telemetry,
    deps.spanExporter ? { spanExporter: deps.spanExporter } : {},
  );
  let federation;
  try {
    federation = await startFederation({
      relayName: config.relayName,
      config: config.federation,
      quotas: config.peerQuotas,
      nc,
      replicas: config.jsReplicas,
      timeoutMs: config.requestTimeoutMs,
      meter: telemetry.meter,
      now: deps.now ?? Date.now,
    });
  } catch (e) {
    postage.stop();
    await telemetry[Symbol.asyncDispose]();
    await nc.close();
    throw e;
  }
  const app = buildApp({
    ...(federation ? { federation } : {}),
    config,
    log,
    mail: new JetStreamMailSink(nc, config.requestTimeoutMs, config.mailGroup),
    forward: natsForwarder(nc, config.requestTimeoutMs),
    postage,
    now: deps.now ?? Date.now,
    ready: () => !nc.isClosed(),
    metrics: new OperatorMetrics(telemetry.meter, postage),
    tracer: telemetry.tracer,
  });
  const stats = new ServiceStats();
  const loops: RequestLoop[] = serveHealth({
    nc,
    service: 'operator',
    version: VERSION,
    log,
    stats,
    ready: () => !nc.isClosed(),
  });
  let url: string;
  try {
    if (target.kind === 'unix') {
      await app.listen({ path: target.path });
      url = `unix:${target.path}`;
    } else {
      await app.listen({ host: target.host, port: target.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : target.port;
      const host = target.host.includes(':') ? `[${target.host}]` : target.host;
      url = `http://${host}:${port}`;
    }
  } catch (e) {
    postage.stop();
    await telemetry[Symbol.asyncDispose]();
    await Promise.all(loops.map((l) => l.stop()));
    await nc.close();
    throw e;
  }
  log.info('operator listening');
  return {
    url,
    app,
    postage,
    metricsUrl: telemetry.metricsUrl,
    async [Symbol.asyncDispose]() {
      postage.stop();
      await app.close();
      await Promise.all(loops.map((l) => l.stop()));
      await nc.drain();
      await telemetry[Symbol.asyncDispose]();
      log.info('operator stopped');
    },
  };
}
