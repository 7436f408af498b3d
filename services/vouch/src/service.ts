import { encodeErrorReply, initCrypto, queueGroup, SUBJECTS } from '@komrade/protocol';
import {
  connectNats,
  createLogger,
  serveHealth,
  serveRequests,
  ServiceStats,
  type Logger,
  type NatsConnection,
  type RequestLoop,
} from '@komrade/service-runtime';
import type { VouchConfig } from './config.js';
import { handleLookup, handleRegister, type DirectoryDeps } from './directory-handlers.js';
import { openKvDirectory, type DirectoryStore } from './directory-store.js';
import { VERSION } from './version.js';

export interface VouchDeps {
  readonly log?: Logger;
  readonly now?: () => number;
  /** Replaces the JetStream KV directory (tests). */
  readonly directory?: DirectoryStore;
}

export interface RunningVouch extends AsyncDisposable {
  readonly stats: ServiceStats;
}

/**
 * Starts the vouch service: the directory of names (register and lookup, queue group
 * "vouch") on a durable JetStream KV bucket, plus health and ops. Collectives, vouching
 * and quorum arrive with issue #5.
 */
export async function start(config: VouchConfig, deps: VouchDeps = {}): Promise<RunningVouch> {
  const log = deps.log ?? createLogger('vouch', config.logLevel);
  await initCrypto();
  const nc = await connectNats(config.natsUrls, 'komrade-vouch');
  let store: DirectoryStore;
  try {
    store = deps.directory ?? (await openKvDirectory(nc, { replicas: config.jsReplicas }));
  } catch (e) {
    await nc.close();
    throw e;
  }
  const stats = new ServiceStats();
  const ddeps: DirectoryDeps = { store, relayName: config.relayName, now: deps.now ?? Date.now };
  const queue = queueGroup('vouch');
  const guarded = guard(log);
  const loops: RequestLoop[] = [
    serveRequests({
      nc,
      subject: SUBJECTS.directoryRegister,
      queue,
      log,
      stats,
      handle: guarded((d) => handleRegister(ddeps, d)),
    }),
    serveRequests({
      nc,
      subject: SUBJECTS.directoryLookup,
      queue,
      log,
      stats,
      handle: guarded((d) => handleLookup(ddeps, d)),
    }),
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
    async [Symbol.asyncDispose]() {
      await Promise.all(loops.map((l) => l.stop()));
      await nc.drain();
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
 * without the request, which holds a name.
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
      log.warn({ err: e }, 'directory store unavailable');
      return encodeErrorReply('ERR_SERVICE_UNAVAILABLE');
    }
  };
}
