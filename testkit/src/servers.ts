import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  stop(): Promise<void>;
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

function missing(bin: string): Error {
  return new Error(`${bin} not found on PATH. Install it with: sudo apt-get install -y ${bin}`);
}

function launch(bin: string, args: string[], cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? missing(bin) : e);
    });
    child.once('spawn', () => {
      alive.add(child);
      child.once('exit', () => alive.delete(child));
      resolve(child);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      r();
    }),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** nats-server with JetStream on 127.0.0.1, random port, store in a temp dir (or `storeDir`). */
export async function startNats(
  o: { storeDir?: string; port?: number } = {},
): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), 'komrade-nats-'));
  const store = o.storeDir ?? join(dir, 'js');
  const child = await launch(
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(o.port ?? -1), '-js', '-sd', store, '--ports_file_dir', dir],
    dir,
  );
  const port = await until('nats-server ports file', async () => {
    const f = (await readdir(dir)).find((n) => n.endsWith('.ports'));
    if (!f) return undefined;
    const j = JSON.parse(await readFile(join(dir, f), 'utf8')) as { nats?: string[] };
    const u = j.nats?.[0];
    return u ? Number(new URL(u).port) : undefined;
  });
  await until('nats-server to accept connections', () => tcpReady(port));
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    dir,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** redis-server on 127.0.0.1 with no persistence at all (mail never touches disk). */
export async function startRedis(): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), 'komrade-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = await launch(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--maxmemory-policy',
        'noeviction',
      ],
      dir,
    );
    try {
      await until(
        'redis-server PING',
        async () => {
          const r = new Redis({
            port,
            host: '127.0.0.1',
            lazyConnect: true,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
          });
          r.on('error', () => undefined);
          try {
            await r.connect();
            return (await r.ping()) === 'PONG' ? true : undefined;
          } finally {
            r.disconnect();
          }
        },
        10_000,
      );
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        pid: child.pid ?? -1,
        dir,
        async stop() {
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      await stopChild(child);
      if (attempt >= 3) throw e; // the free port was taken meanwhile: try another
    }
  }
}

function tcpReady(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      resolve(undefined);
    });
    s.connect(port, '127.0.0.1');
  });
}

/** Empties a Redis database between tests. */
export async function flushRedis(url: string): Promise<void> {
  const r = new Redis(url);
  try {
    await r.flushall();
  } finally {
    r.disconnect();
  }
}
