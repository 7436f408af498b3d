import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from '@komrade/protocol';
import { spawnManaged, type ManagedProcess } from './managed-process.js';

/** Each service's `main` entry point, as exported by its package. */
export const SERVICE_MAIN: { readonly [S in ServiceName]: string } = Object.freeze({
  operator: '@komrade/operator/main',
  sorter: '@komrade/sorter/main',
  vouch: '@komrade/vouch/main',
  purge: '@komrade/purge/main',
});

/** Absolute path of a service's built main.js; throws if it has not been built. */
export function serviceMainPath(service: ServiceName): string {
  const path = fileURLToPath(import.meta.resolve(SERVICE_MAIN[service]));
  if (!existsSync(path)) throw new Error(`${path} is missing: build first with "npx tsc -b"`);
  return path;
}

export interface SpawnServiceOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly logFile?: string;
  readonly onStdoutLine?: (line: string) => void;
}

/** Runs one service as its own `node` process, configured only by its environment. */
export function spawnService(
  service: ServiceName,
  o: SpawnServiceOptions,
): Promise<ManagedProcess> {
  return spawnManaged({
    name: service,
    command: process.execPath,
    args: [serviceMainPath(service)],
    env: o.env,
    ...(o.logFile ? { logFile: o.logFile } : {}),
    ...(o.onStdoutLine ? { onStdoutLine: o.onStdoutLine } : {}),
  });
}
