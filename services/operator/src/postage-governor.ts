import { MAX_DIFFICULTY } from '@komrade/protocol';

/**
 * Postage difficulty that rises under load: every second it compares the accepted
 * envelope rate with the target; above it, one more bit (twice the work), below half of
 * it, one bit less, never under the configured base. Stamps minted at any difficulty in
 * force during the last `graceSec` seconds are still accepted, so a raise does not bounce
 * mail that was already being stamped.
 */
export class PostageGovernor {
  private bits: number;
  private windowCount = 0;
  private readonly history: { at: number; bits: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      baseBits: number;
      auto: boolean;
      targetRps: number;
      graceSec?: number;
      now?: () => number;
    },
  ) {
    this.bits = o.baseBits;
  }

  /** Difficulty clients should mint at now. */
  get currentBits(): number {
    return this.bits;
  }

  /** Lowest difficulty still accepted (current, or a lower one within the grace period). */
  get acceptedBits(): number {
    const now = (this.o.now ?? Date.now)();
    const grace = (this.o.graceSec ?? 10) * 1000;
    let min = this.bits;
    for (const h of this.history) if (now - h.at <= grace) min = Math.min(min, h.bits);
    return min;
  }

  accepted(n: number): void {
    this.windowCount += n;
  }

  /** One control step; `elapsedSec` since the last. Exposed for tests. */
  tick(elapsedSec = 1): void {
    const rate = this.windowCount / elapsedSec;
    this.windowCount = 0;
    if (!this.o.auto) return;
    const now = (this.o.now ?? Date.now)();
    let next = this.bits;
    if (rate > this.o.targetRps) next = Math.min(MAX_DIFFICULTY, this.bits + 1);
    else if (rate < this.o.targetRps / 2) next = Math.max(this.o.baseBits, this.bits - 1);
    if (next !== this.bits) {
      this.history.push({ at: now, bits: this.bits });
      while (this.history.length > 32) this.history.shift();
      this.bits = next;
    }
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.tick(1);
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
