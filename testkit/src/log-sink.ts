import { Writable } from 'node:stream';

/** Collects every log line a service writes, so tests can scan them for identifiers. */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  private partial = '';

  override _write(
    chunk: Buffer | string,
    _enc: BufferEncoding,
    cb: (e?: Error | null) => void,
  ): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) if (p.length > 0) this.lines.push(p);
    cb();
  }

  /** All lines as one string (for substring searches). */
  text(): string {
    return this.lines.join('\n') + (this.partial ? `\n${this.partial}` : '');
  }
}
