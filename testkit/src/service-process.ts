import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ServiceName = 'operator' | 'sorter' | 'purge' | 'vouch';

export interface ServiceProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs one service as its own `node` process (its real main.ts), so a test can SIGKILL it.
 * Resolves once the service logged that it started.
 */
export async function spawnService(
  name: ServiceName,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const main = fileURLToPath(import.meta.resolve(`@komrade/${name}/main`));
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not start:\n${out}`));
    }, 30_000);
    const check = (): void => {
      if (out.includes(`"msg":"${name} started"`) || out.includes(`"msg":"${name} listening"`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${String(code)} during start:\n${out}`));
    });
  });
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  return {
    pid: child.pid,
    child,
    output: () => out,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
