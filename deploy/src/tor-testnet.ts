import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';

/**
 * A private Tor network on 127.0.0.1 (see docs/onion.md): three directory
 * authorities, three relays, a v3 onion service in front of a local port, and a client
 * SOCKS port. Everything runs from a temp dir and dies with the test process.
 */
export interface TorNetwork {
  /** SOCKS5 port of the client tor. */
  readonly socksPort: number;
  /** `<56 chars>.onion` of the onion service. */
  readonly onionHost: string;
  /** Every tor process's PID. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

export interface TorNetworkOptions {
  /** The local TCP port (or `unix:/path`) the onion service forwards port 80 to. */
  readonly target: number | string;
  /** Progress lines for the test log. */
  readonly onProgress?: (msg: string) => void;
  /** An existing HiddenServiceDir to keep the onion address stable. */
  readonly hiddenServiceDir?: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new Error(`${cmd} not found on PATH. Install it with: sudo apt-get install -y tor`)
          : e,
      );
    });
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${String(code)}:\n${out}`));
    });
    child.stdin.end(opts.input ?? '');
  });
}

const COMMON = (dir: string) => [
  'TestingTorNetwork 1',
  `DataDirectory ${dir}`,
  'GeoIPFile ""',
  'GeoIPv6File ""',
  'ShutdownWaitLength 0',
  'Log notice stdout',
  'SafeLogging 1',
  `__OwningControllerProcess ${process.pid}`,
  'KISTSchedRunInterval 1 msec',
];

interface Node {
  name: string;
  dir: string;
  orPort: number;
  dirPort?: number;
  torrc: string[];
}

export async function startTorNetwork(o: TorNetworkOptions): Promise<TorNetwork> {
  const say = o.onProgress ?? (() => undefined);
  const root = await mkdtemp(join(tmpdir(), 'komrade-tor-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) {
              resolve();
              return;
            }
            const t = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    await rm(root, { recursive: true, force: true });
  };
  const start = async (n: Node): Promise<void> => {
    const file = join(n.dir, 'torrc');
    await writeFile(file, `${n.torrc.join('\n')}\n`);
    const child = spawn('tor', ['--defaults-torrc', '/dev/null', '-f', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    child.stderr.on('data', (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) say(`${n.name} exited with ${code}: ${log}`);
    });
    children.push(child);
  };

  try {
    // 1. authorities: identity keys, certificates and fingerprints
    say('tor: generating authority keys');
    const auths: (Node & { v3ident: string; fingerprint: string })[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = join(root, `auth${i}`);
      await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
      const orPort = await findFreePort();
      const dirPort = await findFreePort();
      await run(
        'tor-gencert',
        ['--create-identity-key', '-m', '12', '-a', `127.0.0.1:${dirPort}`, '--passphrase-fd', '0'],
        {
          cwd: join(dir, 'keys'),
          input: '\n',
        },
      );
      const cert = await readFile(join(dir, 'keys', 'authority_certificate'), 'utf8');
      const v3ident = /^fingerprint ([0-9A-F]{40})$/m.exec(cert)?.[1];
      if (!v3ident) throw new Error('tor-gencert produced no fingerprint');
      const fpOut = await run('tor', [
        '--defaults-torrc',
        '/dev/null',
        '--list-fingerprint',
        '--DataDirectory',
        dir,
        '--ORPort',
        `127.0.0.1:${orPort}`,
        '--Nickname',
        `auth${i}`,
        '--GeoIPFile',
        '',
        '--GeoIPv6File',
        '',
      ]);
      const fingerprint = new RegExp(`auth${i} ((?:[0-9A-F]{4} ?){10})`)
        .exec(fpOut)?.[1]
        ?.replace(/ /g, '');
      if (!fingerprint) throw new Error(`tor --list-fingerprint gave no fingerprint:\n${fpOut}`);
      auths.push({ name: `auth${i}`, dir, orPort, dirPort, v3ident, fingerprint, torrc: [] });
    }
    const dirAuthorities = auths.map(
      (a) =>
        `DirAuthority ${a.name} orport=${a.orPort} no-v2 v3ident=${a.v3ident} 127.0.0.1:${String(a.dirPort)} ${a.fingerprint}`,
    );
    for (const a of auths)
      a.torrc = [
        ...COMMON(a.dir),
        ...dirAuthorities,
        `Nickname ${a.name}`,
        'Address 127.0.0.1',
        `ORPort 127.0.0.1:${a.orPort}`,
        `DirPort 127.0.0.1:${String(a.dirPort)}`,
        'SocksPort 0',
        'AuthoritativeDirectory 1',
        'V3AuthoritativeDirectory 1',
        'AssumeReachable 1',
        'ExitRelay 0',
        'V3AuthVotingInterval 10',
        'V3AuthVoteDelay 2',
        'V3AuthDistDelay 2',
        'V3AuthNIntervalsValid 2',
        'TestingV3AuthInitialVotingInterval 10',
        'TestingV3AuthInitialVoteDelay 2',
        'TestingV3AuthInitialDistDelay 2',
        'TestingDirAuthVoteGuard *',
        'TestingDirAuthVoteHSDir *',
        'TestingDirAuthVoteExit *',
      ];
    const relays: Node[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = join(root, `relay${i}`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const orPort = await findFreePort();
      relays.push({
        name: `relay${i}`,
        dir,
        orPort,
        torrc: [
          ...COMMON(dir),
          ...dirAuthorities,
          `Nickname relay${i}`,
          'Address 127.0.0.1',
          `ORPort 127.0.0.1:${orPort}`,
          'SocksPort 0',
          'AssumeReachable 1',
          'ExitRelay 0',
        ],
      });
    }
    // 2. staged start: authorities and relays first, then wait for a full consensus
    say('tor: starting 3 authorities and 3 relays');
    for (const n of [...auths, ...relays]) await start(n);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const counts = await Promise.all(
        auths.map(async (a) => {
          try {
            const r = await fetch(
              `http://127.0.0.1:${String(a.dirPort)}/tor/status-vote/current/consensus-microdesc`,
              {
                signal: AbortSignal.timeout(2000),
              },
            );
            if (r.status !== 200) return 0;
            return (await r.text()).split('\n').filter((l) => l.startsWith('r ')).length;
          } catch {
            return 0;
          }
        }),
      );
      if (counts.every((c) => c >= 6)) break;
      if (Date.now() > deadline)
        throw new Error(`tor consensus incomplete after 120 s: ${counts.join(',')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    say('tor: consensus lists every relay; starting onion service and client');
    // 3. the onion service and the client
    const hsDir = o.hiddenServiceDir ?? join(root, 'hs', 'operator');
    await mkdir(hsDir, { recursive: true, mode: 0o700 });
    await chmod(hsDir, 0o700);
    const hsData = join(root, 'hs-data');
    await mkdir(hsData, { recursive: true, mode: 0o700 });
    const target = typeof o.target === 'number' ? `127.0.0.1:${o.target}` : o.target;
    await start({
      name: 'onion',
      dir: hsData,
      orPort: 0,
      torrc: [
        ...COMMON(hsData),
        ...dirAuthorities,
        'SocksPort 0',
        'PathsNeededToBuildCircuits 0.67',
        `HiddenServiceDir ${hsDir}`,
        'HiddenServiceVersion 3',
        `HiddenServicePort 80 ${target}`,
      ],
    });
    const clientData = join(root, 'client');
    await mkdir(clientData, { recursive: true, mode: 0o700 });
    const socksPort = await findFreePort();
    await start({
      name: 'client',
      dir: clientData,
      orPort: 0,
      torrc: [
        ...COMMON(clientData),
        ...dirAuthorities,
        `SocksPort 127.0.0.1:${socksPort} ExtendedErrors IsolateSOCKSAuth`,
        'PathsNeededToBuildCircuits 0.67',
      ],
    });
    let onionHost = '';
    for (let i = 0; i < 300 && !onionHost; i++) {
      onionHost = (await readFile(join(hsDir, 'hostname'), 'utf8').catch(() => '')).trim();
      if (!onionHost) await new Promise((r) => setTimeout(r, 100));
    }
    if (!onionHost) throw new Error('the onion service wrote no hostname');
    say(`tor: onion service ${onionHost.slice(0, 8)}… is up; waiting for its descriptor`);
    return { socksPort, onionHost, pids: children.map((c) => c.pid ?? -1), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
