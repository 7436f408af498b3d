import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, type FindBinaryOptions } from './find-binary.js';
import { findFreePort } from './free-port.js';
import { describeExit, spawnManaged, type ManagedProcess } from './managed-process.js';
import { redisAnswersPing } from './probes.js';
import type { RunningServer } from './running-server.js';
import { waitUntil } from './wait-until.js';

export interface RedisServerOptions {
  /** Working directory; a temporary one (removed by stop()) by default. Nothing is saved in it. */
  readonly dir?: string;
  /** maxmemory in bytes (0, the default, is no limit). Writes fail when full: never eviction. */
  readonly maxMemoryBytes?: number;
  /** Appends the server's log to this file. */
  readonly logFile?: string;
  readonly startTimeoutMs?: number;
  /** Where to look for the binary (tests simulate a missing one with this). */
  readonly which?: FindBinaryOptions;
}

const PORT_ATTEMPTS = 5;

/**
 * Arguments that keep mail off the disk: no RDB snapshots, no AOF, and noeviction so a
 * full Redis refuses writes instead of silently dropping mailboxes.
 */
export function redisArgs(port: number, dir: string, maxMemoryBytes = 0): string[] {
  return [
    '--bind', '127.0.0.1',
    '--port', String(port),
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'no',
    '--maxmemory', String(maxMemoryBytes),
    '--maxmemory-policy', 'noeviction',
    '--dir', dir,
  ]; // prettier-ignore
}

/**
 * Starts redis-server on 127.0.0.1 on a free port with persistence off and resolves once
 * it answers PING. If the port is taken between choosing and binding, tries another.
 */
export async function startRedisServer(o: RedisServerOptions = {}): Promise<RunningServer> {
  const binary = findBinary('redis-server', o.which);
  const tempDir = await mkdtemp(join(tmpdir(), 'komrade-redis-'));
  const dir = o.dir ?? tempDir;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const proc = await spawnManaged({
        name: 'redis-server',
        command: binary,
        args: redisArgs(port, dir, o.maxMemoryBytes),
        cwd: dir,
        ...(o.logFile ? { logFile: o.logFile } : {}),
      });
      const ready = await waitForPong(proc, port, o.startTimeoutMs ?? 15_000);
      if (ready === 'port-taken') {
        if (attempt < PORT_ATTEMPTS) continue;
        throw new Error(`redis-server found no free port in ${String(PORT_ATTEMPTS)} attempts`);
      }
      if (ready instanceof Error) throw ready;
      return {
        url: `redis://127.0.0.1:${String(port)}`,
        port,
        pid: proc.pid,
        dir,
        async stop() {
          await proc.stop();
          await rm(tempDir, { recursive: true, force: true });
        },
      };
    }
  } catch (e) {
    await rm(tempDir, { recursive: true, force: true });
    throw e;
  }
}

async function waitForPong(
  proc: ManagedProcess,
  port: number,
  timeoutMs: number,
): Promise<'ready' | 'port-taken' | Error> {
  try {
    await waitUntil(async () => ((await redisAnswersPing(port)) ? true : undefined), {
      what: 'redis-server to answer PING',
      timeoutMs,
      failFast: () => {
        const s = proc.exitStatus();
        return s ? new Error(`redis-server exited during start (${describeExit(s)})`) : undefined;
      },
    });
    return 'ready';
  } catch (e) {
    await proc.stop();
    if (/address already in use/i.test(proc.tail())) return 'port-taken';
    return new Error(`${e instanceof Error ? e.message : String(e)}:\n${proc.tail(15)}`);
  }
}
