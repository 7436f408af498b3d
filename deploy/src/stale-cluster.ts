import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterFile } from './cluster-file.js';
import { commandLine, isAlive } from './process-check.js';

/**
 * Stops the processes an earlier cluster left running when its supervisor died without
 * cleaning up. A PID is signalled only if its command line is still the program the
 * cluster file says it was (PIDs get recycled). Returns the PIDs it stopped.
 */
export async function reapStaleCluster(c: ClusterFile): Promise<number[]> {
  const expected: [number, string][] = [
    [c.nats.pid, 'nats-server'],
    [c.redis.pid, 'redis-server'],
    ...Object.entries(c.services).map(([service, s]): [number, string] => [
      s.pid,
      `/${service}/dist/src/main.js`,
    ]),
  ];
  const targets = expected
    .filter(([pid, marker]) => isAlive(pid) && (commandLine(pid) ?? '').includes(marker))
    .map(([pid]) => pid);
  for (const pid of targets) signal(pid, 'SIGTERM');
  for (let waited = 0; waited < 5000 && targets.some(isAlive); waited += 100) await sleep(100);
  for (const pid of targets.filter(isAlive)) signal(pid, 'SIGKILL');
  return targets;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
