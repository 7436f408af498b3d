import { WireError } from './wire-error.js';

/** Bounds-checked cursor over bytes. Every read checks the remaining length first. */
export class Reader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) throw new WireError('ERR_WIRE_TRUNCATED', what);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 2;
    return ((b[o] as number) << 8) | (b[o + 1] as number);
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    return (
      ((b[o] as number) * 0x1000000 +
        (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number))) >>>
      0
    );
  }

  /** Unsigned 64-bit as a safe integer; larger values are rejected. */
  u64(what: string): number {
    const hi = this.u32(what);
    const lo = this.u32(what);
    if (hi > 0x1fffff) throw new WireError('ERR_WIRE_FIELD', `${what} too large`);
    return hi * 0x100000000 + lo;
  }

  /** Exactly n bytes, copied so the result never aliases the input. */
  bytesFixed(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /**
   * u32 length prefix, then that many bytes as a view into the input (no copy), length
   * within [min, max]. Only for a decoder that copies whatever it keeps of the view.
   */
  viewU32(min: number, max: number, what: string): Uint8Array {
    const n = this.u32(what);
    if (n < min || n > max) throw new WireError('ERR_WIRE_LENGTH', what);
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** u8 length prefix, then that many bytes, length within [min, max]. */
  bytesU8(min: number, max: number, what: string): Uint8Array {
    const n = this.u8(what);
    if (n < min || n > max) throw new WireError('ERR_WIRE_LENGTH', what);
    return this.bytesFixed(n, what);
  }

  /** u16 length prefix, then that many bytes, length within [min, max]. */
  bytesU16(min: number, max: number, what: string): Uint8Array {
    const n = this.u16(what);
    if (n < min || n > max) throw new WireError('ERR_WIRE_LENGTH', what);
    return this.bytesFixed(n, what);
  }

  /** u32 length prefix, then that many bytes, length within [min, max]. */
  bytesU32(min: number, max: number, what: string): Uint8Array {
    const n = this.u32(what);
    if (n < min || n > max) throw new WireError('ERR_WIRE_LENGTH', what);
    return this.bytesFixed(n, what);
  }

  /** The rest of the input. */
  rest(): Uint8Array {
    const out = this.bytes.slice(this.offset);
    this.offset = this.bytes.length;
    return out;
  }

  /** Fails unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) throw new WireError('ERR_WIRE_TRAILING', `${this.remaining} bytes`);
  }
}
