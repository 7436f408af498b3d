import { toHex } from '@komrade/protocol';

/**
 * Remembers message ids seen within the acceptance window, so a replayed message is
 * rejected. Ids older than the window need not be kept: their timestamps are stale anyway.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  /** True the first time an id is offered; false for a replay. */
  check(messageId: Uint8Array, timestampMs: number, nowMs: number): boolean {
    this.prune(nowMs);
    const k = toHex(messageId);
    if (this.seen.has(k)) return false;
    this.seen.set(k, timestampMs);
    return true;
  }

  private prune(nowMs: number): void {
    if (this.seen.size < 4096) return;
    for (const [k, t] of this.seen) if (t < nowMs - this.windowMs * 2) this.seen.delete(k);
  }

  /** For persistence in the keystore. */
  export(): [string, number][] {
    return [...this.seen];
  }

  static import(windowMs: number, entries: readonly [string, number][]): ReplayGuard {
    const g = new ReplayGuard(windowMs);
    for (const [k, t] of entries) g.seen.set(k, t);
    return g;
  }
}
