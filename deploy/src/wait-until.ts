import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What we wait for, for the timeout message ("nats-server to accept connections"). */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Checked before each attempt: an Error here ends the wait at once (a child died). */
  readonly failFast?: () => Error | undefined;
}

/**
 * Polls `attempt` until it returns a value other than undefined. Errors thrown by an
 * attempt count as "not yet"; the last one is quoted if the wait times out.
 */
export async function waitUntil<T>(
  attempt: () => Promise<T | undefined>,
  o: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const failed = o.failFast?.();
    if (failed) throw failed;
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(
        `timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${o.what}${why}`,
      );
    }
    await sleep(o.intervalMs ?? 50);
  }
}
