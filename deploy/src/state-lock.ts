import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './process-check.js';

export const LOCK_FILE_NAME = 'supervisor.pid';

/** Raised when another live process runs a cluster from the same state directory. */
export class ClusterAlreadyRunningError extends Error {
  readonly pid: number;
  constructor(stateDir: string, pid: number) {
    super(
      `a Komrade cluster is already running from ${stateDir} (supervisor pid ${String(pid)}). ` +
        'Stop it first (Ctrl-C in its terminal, or kill that pid), or set KOMRADE_STATE_DIR to another directory.',
    );
    this.name = 'ClusterAlreadyRunningError';
    this.pid = pid;
  }
}

/**
 * Claims a state directory for this process: `<stateDir>/supervisor.pid`, created
 * exclusively, so two clusters never share one JetStream store even while both are
 * still starting. A lock left by a dead process is taken over. Returns the release.
 */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  const path = join(stateDir, LOCK_FILE_NAME);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${String(process.pid)}\n`, { flag: 'wx', mode: 0o600 });
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))
      throw new ClusterAlreadyRunningError(stateDir, holder);
    await rm(path, { force: true });
  }
}
