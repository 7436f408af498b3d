import { readFileSync } from 'node:fs';

/** True when a process with this PID exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The command line of a live process (Linux /proc), or undefined. Used before killing a
 * PID read from an old cluster.json, so a recycled PID is never shot by mistake.
 */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8')
      .split('\0')
      .join(' ')
      .trim();
  } catch {
    return undefined;
  }
}
