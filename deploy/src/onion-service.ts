import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary } from './find-binary.js';
import { findFreePort } from './free-port.js';
import { spawnManaged, type ManagedProcess } from './managed-process.js';
import { startTorNetwork } from './tor-testnet.js';
import { waitUntil } from './wait-until.js';

export interface OnionServiceOptions {
  /** Keys live in <stateDir>/tor/operator and are kept, so the address stays the same. */
  readonly stateDir: string;
  /** The operator's port on 127.0.0.1. */
  readonly operatorPort: number;
  /**
   * 'tor': the real Tor network (needs internet). 'testnet': a private Tor network on
   * this machine (3 authorities, 3 relays), for trying everything offline.
   */
  readonly network: 'tor' | 'testnet';
  readonly onProgress?: (message: string) => void;
  /** How long to wait for tor to reach the network before going on with a warning. */
  readonly bootstrapTimeoutMs?: number;
}

export interface OnionService {
  /** `<56 chars>.onion`. */
  readonly address: string;
  /** Where local clients reach Tor (socks5h: names resolve inside Tor). */
  readonly socksUrl: string;
  readonly network: 'tor' | 'testnet';
  /** False when tor did not reach the network in time (offline machine). */
  readonly bootstrapped: boolean;
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/**
 * Puts the operator behind a v3 onion service. The torrc is written to
 * <stateDir>/tor/torrc (see docs/onion.md); the HiddenServiceDir is created 0700 and kept
 * across restarts. A SocksPort on 127.0.0.1 is opened for local clients
 * (`komrade --tor socks5h://...`), with IsolateSOCKSAuth so identities never share a circuit.
 */
export async function startOnionService(o: OnionServiceOptions): Promise<OnionService> {
  const say = o.onProgress ?? (() => undefined);
  const torDir = join(o.stateDir, 'tor');
  const hsDir = join(torDir, 'operator');
  await mkdir(hsDir, { recursive: true, mode: 0o700 });
  await chmod(torDir, 0o700);
  await chmod(hsDir, 0o700);
  if (o.network === 'testnet') {
    const net = await startTorNetwork({
      target: o.operatorPort,
      hiddenServiceDir: hsDir,
      onProgress: say,
    });
    return {
      address: net.onionHost,
      socksUrl: `socks5h://127.0.0.1:${String(net.socksPort)}`,
      network: 'testnet',
      bootstrapped: true,
      pids: net.pids,
      stop: () => net.stop(),
    };
  }
  const dataDir = join(torDir, 'data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const socksPort = await findFreePort();
  const torrc = join(torDir, 'torrc');
  await writeFile(
    torrc,
    [
      '# Written by npm start -- --onion; regenerated on every start.',
      `DataDirectory ${dataDir}`,
      `HiddenServiceDir ${hsDir}`,
      'HiddenServiceVersion 3',
      `HiddenServicePort 80 127.0.0.1:${String(o.operatorPort)}`,
      `SocksPort 127.0.0.1:${String(socksPort)} IsolateSOCKSAuth`,
      'Log notice stdout',
      'SafeLogging 1',
      'AvoidDiskWrites 1',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  let bootstrapped = false;
  const proc: ManagedProcess = await spawnManaged({
    name: 'tor',
    command: findBinary('tor'),
    args: ['--defaults-torrc', '/dev/null', '-f', torrc],
    logFile: join(o.stateDir, 'logs', 'tor.log'),
    onStdoutLine: (line) => {
      if (line.includes('Bootstrapped 100%')) bootstrapped = true;
    },
  });
  try {
    const address = await waitUntil(
      async () =>
        (await readFile(join(hsDir, 'hostname'), 'utf8').catch(() => '')).trim() || undefined,
      {
        what: 'tor to create the onion service keys',
        timeoutMs: 30_000,
        failFast: () =>
          proc.exitStatus() ? new Error(`tor exited:\n${proc.tail(10)}`) : undefined,
      },
    );
    say(`onion service ${address}; waiting for tor to reach the Tor network`);
    await waitUntil(async () => (bootstrapped ? true : undefined), {
      what: 'tor to bootstrap',
      timeoutMs: o.bootstrapTimeoutMs ?? 60_000,
      intervalMs: 500,
    }).catch(() => undefined);
    return {
      address,
      socksUrl: `socks5h://127.0.0.1:${String(socksPort)}`,
      network: 'tor',
      bootstrapped,
      pids: [proc.pid],
      stop: async () => {
        await proc.stop();
      },
    };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}
