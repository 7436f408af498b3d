import ora, { type Ora } from 'ora';
import type { CliIo } from './io.js';

/**
 * Spinners on stderr for the slow parts (key derivation, proof of work, network), shown
 * only on a terminal and never in --json mode, so scripts see clean output.
 */
export class Progress {
  private spinner: Ora | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly enabled: boolean,
  ) {}

  /** Runs `fn` under a spinner showing `text`; the spinner is cleared afterwards. */
  async step<T>(text: string, fn: () => Promise<T> | T): Promise<T> {
    if (!this.enabled) return fn();
    const s = ora({ text, stream: this.io.stderr, discardStdin: false }).start();
    this.spinner = s;
    // let the first frame reach the terminal before synchronous work (key derivation) blocks
    await new Promise((r) => setImmediate(r));
    try {
      return await fn();
    } finally {
      s.stop();
      this.spinner = undefined;
    }
  }

  /** Updates the running spinner's text, if any. */
  update(text: string): void {
    if (this.spinner) this.spinner.text = text;
  }

  /** Proof-of-work progress callback for KomradeClient. */
  readonly postage = (tried: number, expected: number): void => {
    const pct = Math.min(99, Math.floor((tried / expected) * 100));
    this.update(`Stamping postage (proof of work, ~${pct}% of the expected effort)`);
  };
}
