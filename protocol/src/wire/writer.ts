/** Growable byte buffer for encoders. Encoders validate their input before writing. */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  get length(): number {
    return this.len;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError('u64 must be a safe non-negative integer');
    return this.u32(Math.floor(v / 0x100000000)).u32(v >>> 0);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  bytesU8(b: Uint8Array): this {
    if (b.length > 0xff) throw new RangeError('too long for a u8 length');
    return this.u8(b.length).bytes(b);
  }

  bytesU16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new RangeError('too long for a u16 length');
    return this.u16(b.length).bytes(b);
  }

  bytesU32(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
