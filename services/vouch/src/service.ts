import { randomBytes } from 'node:crypto';
import { encodeErrorReply, initCrypto, queueGroup, SUBJECTS } from '@komrade/protocol';
import {
  connectNats,
  createLogger,
  RequestMetrics,
  serveHealth,
  serveRequests,
  ServiceStats,
  startTelemetry,
  type Logger,
  type NatsConnection,
  type RequestLoop,
} from '@komrade/service-runtime';
import {
  handleCollectiveRequest,
  handleCount,
  handleFanout,
  handleRemote,
  handleShow,
  type CollectiveDeps,
} from './collective-handlers.js';
import { openKvCollectives, type CollectiveStore } from './collective-store.js';
import type { VouchConfig } from './config.js';
import { handleLookup, handleRegister, type DirectoryDeps } from './directory-handlers.js';
import { openKvDirectory, type DirectoryStore } from './directory-store.js';
import { VERSION } from './version.js';
import { VouchMetrics } from './vouch-metrics.js';
import { VouchTokens } from './vouch-tokens.js';

export interface VouchDeps {
  readonly log?: Logger;
  readonly now?: () => number;
  /** Replaces the JetStream KV directory (tests). */
  readonly directory?: DirectoryStore;
  /** Replaces the JetStream KV collectives store (tests). */
  readonly collectives?: CollectiveStore;
}

export interface RunningVouch extends AsyncDisposable {
  readonly stats: ServiceStats;
  /** Where Prometheus scrapes this instance, when a metrics port is configured. */
  readonly metricsUrl: string | undefined;
}

/**
 * Starts the vouch service (queue group "vouch"): the directory of names, and
 * collectives with vouching and quorum, both on durable JetStream KV buckets; the
 * fan-out answer for the sorter; health, ops and metrics.
 */
export async function start(config: VouchConfig, deps: VouchDeps = {}): Promise<RunningVouch> {
  const log = deps.log ?? createLogger('vouch', config.logLevel);
  const now = deps.now ?? Date.now;
  await initCrypto();
  const nc = await connectNats(config.natsUrls, 'komrade-vouch');
  let store: DirectoryStore;
  let collectives: CollectiveStore;
  try {
    store = deps.directory ?? (await openKvDirectory(nc, { replicas: config.jsReplicas }));
    collectives =
      deps.collectives ?? (await openKvCollectives(nc, { replicas: config.jsReplicas }));
  } catch (e) {
    await nc.close();
    throw e;
  }
  const telemetry = await startTelemetry('vouch', VERSION, config.telemetry);
  const metrics = new RequestMetrics(telemetry.meter);
  const vouchMetrics = new VouchMetrics(telemetry.meter);
  const stats = new ServiceStats();
  const ddeps: DirectoryDeps = { store, relayName: config.relayName, now };
  const cdeps: CollectiveDeps = {
    store: collectives,
    relayName: config.relayName,
    now,
    tokens: new VouchTokens(config.vouchSecret),
    random: () => new Uint8Array(randomBytes(16)),
    onAdmission: vouchMetrics.admitted,
  };
  const queue = queueGroup('vouch');
  const guarded = guard(log);
  const endpoints: [string, (d: Uint8Array) => Promise<Uint8Array>][] = [
    [SUBJECTS.directoryRegister, (d) => handleRegister(ddeps, d)],
    [SUBJECTS.directoryLookup, (d) => handleLookup(ddeps, d)],
    [SUBJECTS.collectiveRequest, (d) => handleCollectiveRequest(cdeps, d)],
    [SUBJECTS.collectiveShow, (d) => handleShow(cdeps, d)],
    [SUBJECTS.collectiveCount, (d) => handleCount(cdeps, d)],
    [SUBJECTS.collectiveFanout, (d) => handleFanout(cdeps, d)],
    [SUBJECTS.collectiveRemote, (d) => handleRemote(cdeps, d)],
  ];
  const loops: RequestLoop[] = [
    ...endpoints.map(([subject, handle]) =>
      serveRequests({ nc, subject, queue, log, stats, metrics, handle: guarded(handle) }),
    ),
    ...serveHealth({
      nc,
      service: 'vouch',
      version: VERSION,
      log,
      stats,
      ready: () => isReady(nc),
    }),
  ];
  log.info('vouch started');
  return {
    stats,
    metricsUrl: telemetry.metricsUrl,
    async [Symbol.asyncDispose]() {
      await Promise.all(loops.map((l) => l.stop()));
      await nc.drain();
      await telemetry[Symbol.asyncDispose]();
      log.info('vouch stopped');
    },
  };
}

function isReady(nc: NatsConnection): boolean {
  return !nc.isClosed();
}

/**
 * JetStream briefly unavailable (a nats-server restart, a lost quorum) is an
 * infrastructure state, not a bug: answer the retryable ERR_SERVICE_UNAVAILABLE. Logged
 * without the request, which holds a name (and for collectives, who acts).
 */
function guard(
  log: Logger,
): (fn: (d: Uint8Array) => Promise<Uint8Array>) => (d: Uint8Array) => Promise<Uint8Array> {
  return (fn) => async (d) => {
    try {
      return await fn(d);
    } catch (e) {
      // programming errors stay bugs: the request loop answers ERR_SERVICE_INTERNAL for them
      if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw e;
      log.warn({ err: e }, 'key-value store unavailable');
      return encodeErrorReply('ERR_SERVICE_UNAVAILABLE');
    }
  };
}
