import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, type FindBinaryOptions } from './find-binary.js';
import { describeExit, spawnManaged, type ManagedProcess } from './managed-process.js';
import { natsAnswers } from './probes.js';
import type { RunningServer } from './running-server.js';
import { waitUntil } from './wait-until.js';

export interface NatsServerOptions {
  /**
   * Durable JetStream store directory (kept after stop). Without it the store lives in
   * a temporary directory removed by stop().
   */
  readonly dataDir?: string;
  /** JetStream on (the default) or off. */
  readonly jetstream?: boolean;
  /** JetStream memory store limit (mail streams); nats-server's default otherwise. */
  readonly memoryStoreBytes?: number;
  /** JetStream file store limit (public directory data); nats-server's default otherwise. */
  readonly fileStoreBytes?: number;
  /** Client port; random (the default, -1) unless a test must restart on the same port. */
  readonly port?: number;
  /** Appends the server's log to this file. */
  readonly logFile?: string;
  readonly startTimeoutMs?: number;
  /** Where to look for the binary (tests simulate a missing one with this). */
  readonly which?: FindBinaryOptions;
}

/**
 * Starts nats-server on 127.0.0.1 (random port by default, read back from the ports file
 * nats-server writes) and resolves once it accepts a NATS client connection.
 */
export async function startNatsServer(o: NatsServerOptions = {}): Promise<RunningServer> {
  const binary = findBinary('nats-server', o.which);
  const dir = await mkdtemp(join(tmpdir(), 'komrade-nats-'));
  let proc: ManagedProcess | undefined;
  try {
    const storeDir = o.dataDir ?? join(dir, 'store');
    await mkdir(storeDir, { recursive: true, mode: 0o700 });
    const configFile = join(dir, 'nats-server.conf');
    await writeFile(configFile, natsConfig({ ...o, storeDir }), { mode: 0o600 });
    proc = await spawnManaged({
      name: 'nats-server',
      command: binary,
      args: ['-c', configFile, '--ports_file_dir', dir],
      cwd: dir,
      ...(o.logFile ? { logFile: o.logFile } : {}),
    });
    const p = proc;
    const timeoutMs = o.startTimeoutMs ?? 15_000;
    const failFast = (): Error | undefined => {
      const s = p.exitStatus();
      return s
        ? new Error(`nats-server exited during start (${describeExit(s)}):\n${p.tail(15)}`)
        : undefined;
    };
    const url = await waitUntil(() => readPortsFile(join(dir, `nats-server_${p.pid}.ports`)), {
      what: 'nats-server to write its ports file',
      timeoutMs,
      failFast,
    });
    await waitUntil(async () => ((await natsAnswers(url)) ? true : undefined), {
      what: 'nats-server to accept connections',
      timeoutMs,
      failFast,
    });
    return {
      url,
      port: Number(new URL(url).port),
      pid: p.pid,
      dir,
      async stop() {
        await p.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await proc?.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** nats-server configuration: loopback only, JetStream with the given store and limits. */
export function natsConfig(o: NatsServerOptions & { storeDir: string }): string {
  const lines = ['host: "127.0.0.1"', `port: ${String(o.port ?? -1)}`];
  if (o.jetstream ?? true) {
    lines.push('jetstream {', `  store_dir: ${JSON.stringify(o.storeDir)}`);
    if (o.memoryStoreBytes !== undefined)
      lines.push(`  max_memory_store: ${String(o.memoryStoreBytes)}`);
    if (o.fileStoreBytes !== undefined) lines.push(`  max_file_store: ${String(o.fileStoreBytes)}`);
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

async function readPortsFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as { nats?: unknown };
  const first = Array.isArray(parsed.nats) ? (parsed.nats[0] as unknown) : undefined;
  return typeof first === 'string' && first.startsWith('nats://') ? first : undefined;
}
