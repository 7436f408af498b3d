import {
  connectNats,
  createLogger,
  serveHealth,
  ServiceStats,
  type Logger,
  type RequestLoop,
} from '@komrade/service-runtime';
import type { VouchConfig } from './config.js';
import { VERSION } from './version.js';

export interface VouchDeps {
  readonly log?: Logger;
}

export interface RunningVouch extends AsyncDisposable {
  readonly stats: ServiceStats;
}

/**
 * Starts the vouch service. This release answers health and ops only; collectives,
 * vouching and quorum arrive with issue #5 (see docs/roadmap.md).
 */
export async function start(config: VouchConfig, deps: VouchDeps = {}): Promise<RunningVouch> {
  const log = deps.log ?? createLogger('vouch', config.logLevel);
  const nc = await connectNats(config.natsUrls, 'komrade-vouch');
  const stats = new ServiceStats();
  const loops: RequestLoop[] = serveHealth({
    nc,
    service: 'vouch',
    version: VERSION,
    log,
    stats,
    ready: () => !nc.isClosed(),
  });
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
