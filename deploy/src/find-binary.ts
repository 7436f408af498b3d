import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Binaries a relay and its tools run, with the Debian package that provides each. */
export const INSTALL_HINTS: Readonly<Record<string, string>> = Object.freeze({
  'nats-server': 'nats-server',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  'redis-benchmark': 'redis-tools',
  tor: 'tor',
});

/** The servers a relay runs; any other executable name is accepted too. */
export type ServerBinary = 'nats-server' | 'redis-server' | 'tor' | (string & {});

/**
 * Debian installs nats-server and tor into /usr/sbin, which is not on an ordinary
 * user's PATH, so those directories are searched after PATH.
 */
export const SBIN_DIRS: readonly string[] = Object.freeze([
  '/usr/local/sbin',
  '/usr/sbin',
  '/sbin',
]);

export interface FindBinaryOptions {
  /** The PATH to search; defaults to process.env.PATH. */
  readonly path?: string;
  /** Searched after PATH; defaults to SBIN_DIRS. */
  readonly fallbackDirs?: readonly string[];
}

/** Raised when a server binary is not installed; the message says how to install it. */
export class MissingBinaryError extends Error {
  readonly binaries: readonly ServerBinary[];
  constructor(binaries: readonly ServerBinary[]) {
    super(
      `${binaries.join(' and ')} not found on PATH. Install ${binaries.length > 1 ? 'them' : 'it'} with: ` +
        installCommand(binaries),
    );
    this.name = 'MissingBinaryError';
    this.binaries = binaries;
  }
}

/** The apt-get line that installs the given binaries. */
export function installCommand(binaries: readonly ServerBinary[]): string {
  const packages = [...new Set(binaries.map((b) => INSTALL_HINTS[b] ?? b))];
  return `sudo apt-get install -y ${packages.join(' ')}`;
}

/** Absolute path of an executable, or undefined when it is nowhere to be found. */
export function locateBinary(name: string, o: FindBinaryOptions = {}): string | undefined {
  const pathDirs = (o.path ?? process.env.PATH ?? '').split(delimiter).filter((d) => d.length > 0);
  for (const dir of [...pathDirs, ...(o.fallbackDirs ?? SBIN_DIRS)]) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Absolute path of a server binary; throws MissingBinaryError when it is not installed. */
export function findBinary(name: ServerBinary, o: FindBinaryOptions = {}): string {
  const found = locateBinary(name, o);
  if (found === undefined) throw new MissingBinaryError([name]);
  return found;
}

/** Which of the given binaries are not installed (empty when all are). */
export function missingBinaries(
  names: readonly ServerBinary[],
  o: FindBinaryOptions = {},
): ServerBinary[] {
  return names.filter((n) => locateBinary(n, o) === undefined);
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
