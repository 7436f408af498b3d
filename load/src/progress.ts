import { Presets, SingleBar } from 'cli-progress';

/**
 * A progress bar per phase on a terminal; on anything else (CI, tests) one line per
 * phase on stderr, so logs still show where a run is.
 */
export class Progress {
  private readonly bar: SingleBar | undefined;
  private active = false;

  constructor(enabled: boolean) {
    this.bar =
      enabled && process.stderr.isTTY
        ? new SingleBar(
            {
              format: '{phase} [{bar}] {percentage}% | {detail}',
              hideCursor: true,
              clearOnComplete: false,
              stream: process.stderr,
            },
            Presets.shades_classic,
          )
        : undefined;
  }

  phase(name: string, total: number, detail = ''): void {
    this.done();
    if (this.bar) {
      this.bar.start(Math.max(1, total), 0, { phase: name.padEnd(28), detail });
      this.active = true;
    } else process.stderr.write(`bench: ${name}${detail ? ` (${detail})` : ''}\n`);
  }

  update(value: number, detail?: string): void {
    if (this.active) this.bar?.update(value, detail === undefined ? {} : { detail });
  }

  /** A line of text that does not break the bar. */
  note(text: string): void {
    if (this.active && this.bar) {
      this.bar.stop();
      this.active = false;
    }
    process.stderr.write(`bench: ${text}\n`);
  }

  done(): void {
    if (this.active) {
      this.bar?.update(this.bar.getTotal());
      this.bar?.stop();
      this.active = false;
    }
  }
}
