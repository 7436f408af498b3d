import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnManagedOptions {
  /** Short name used in error messages ("nats-server", "sorter"). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Appends the child's stdout and stderr to this file. */
  readonly logFile?: string;
  /** Called with every complete line the child writes to stdout. */
  readonly onStdoutLine?: (line: string) => void;
}

/** A child process owned by this process: stopped by PID, killed if we exit first. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves once the child has exited and its output is flushed to the log file. */
  readonly exited: Promise<ExitStatus>;
  /** Set once the child has exited. */
  exitStatus(): ExitStatus | undefined;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the child is gone. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

export const STOP_GRACE_MS = 5000;
const TAIL_LINES = 40;

// PIDs of children still running. They run in their own process groups (so a terminal's
// Ctrl-C reaches only us, and we stop them in order), which also means nothing kills
// them if we die: this hook does, synchronously, on any exit that runs JS.
const live = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** PIDs of managed children that have not exited yet. */
export function livePids(): number[] {
  return [...live];
}

/**
 * Spawns a long-running child with piped output (kept as a short tail, optionally
 * appended to a log file). Rejects if the executable cannot be started.
 */
export async function spawnManaged(o: SpawnManagedOptions): Promise<ManagedProcess> {
  installExitHook();
  const child = spawn(o.command, [...o.args], {
    cwd: o.cwd,
    env: o.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log: WriteStream | undefined = o.logFile
    ? createWriteStream(o.logFile, { flags: 'a', mode: 0o600 })
    : undefined;
  log?.on('error', () => undefined);
  const lines: string[] = [];
  const remember = (line: string): void => {
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
  };
  const follow = (stream: Readable, onLine?: (line: string) => void): Promise<void> => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      log?.write(chunk);
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        remember(line);
        onLine?.(line);
      }
    });
    return new Promise((resolve) =>
      stream.once('close', () => {
        if (partial.length > 0) {
          remember(partial);
          onLine?.(partial);
        }
        resolve();
      }),
    );
  };
  const outputDone = Promise.all([follow(child.stdout, o.onStdoutLine), follow(child.stderr)]);

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) => {
      log?.end();
      reject(new Error(`cannot start ${o.name} (${o.command}): ${e.code ?? e.message}`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${o.name}: no pid`);
  live.add(pid);

  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      status = { code, signal };
      void outputDone
        .then(
          () =>
            new Promise<void>((r) => {
              if (log) log.end(r);
              else r();
            }),
        )
        .then(() => {
          resolve({ code, signal });
        });
    });
  });

  let stopping: Promise<ExitStatus> | undefined;
  const signal = (sig: NodeJS.Signals): void => {
    if (status !== undefined) return;
    try {
      process.kill(pid, sig);
    } catch {
      // exited between the check and the kill
    }
  };
  return {
    name: o.name,
    pid,
    exited,
    exitStatus: () => status,
    tail: (n = TAIL_LINES) => lines.slice(-n).join('\n'),
    stop(graceMs = STOP_GRACE_MS) {
      stopping ??= (async () => {
        signal('SIGTERM');
        const timer = setTimeout(() => {
          signal('SIGKILL');
        }, graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/** "exit code 2" / "signal SIGKILL", for messages. */
export function describeExit(s: ExitStatus): string {
  return s.signal ? `signal ${s.signal}` : `exit code ${String(s.code)}`;
}
