// The few Komrade wire messages the k6 scenarios need, written without Node or Themis
// (k6 runs neither). Layouts as in protocol/SPEC.md: every message opens with "KM",
// version 1 and a type byte; integers are big-endian.
import { sha256 } from 'k6/crypto';

const MAGIC_0 = 0x4b; // 'K'
const MAGIC_1 = 0x4d; // 'M'
const VERSION = 1;
const TYPE = {
  envelopeBatch: 0x02,
  fetchRequest: 0x14,
  fetchResponse: 0x15,
  ackRequest: 0x16,
} as const;
const POSTAGE_SIZE = 8;
const MAX_BATCH = 256;

/**
 * Envelopes from `npm run bench -- seal` (envelopes.bin): each one framed as u32 length +
 * Envelope bytes, exactly the framing of an EnvelopeBatch body, so batches are slices.
 */
export class EnvelopeFile {
  readonly bytes: Uint8Array;
  /** offsets[i]: where envelope i's length prefix starts; offsets[count]: end of file. */
  readonly offsets: number[] = [];

  constructor(file: ArrayBuffer) {
    this.bytes = new Uint8Array(file);
    const view = new DataView(file);
    let at = 0;
    while (at + 4 <= this.bytes.length) {
      this.offsets.push(at);
      at += 4 + view.getUint32(at);
    }
    if (at !== this.bytes.length) throw new Error('envelopes.bin is truncated');
    this.offsets.push(at);
  }

  get count(): number {
    return this.offsets.length - 1;
  }

  /** Envelope i alone (a valid POST /v1/mail body by itself). */
  envelope(i: number): ArrayBuffer {
    const from = (this.offsets[i] as number) + 4;
    return this.bytes.slice(from, this.offsets[i + 1]).buffer;
  }

  /** An EnvelopeBatch body of envelopes [first, first + n). */
  batch(first: number, n: number): ArrayBuffer {
    const count = Math.min(n, MAX_BATCH, this.count - first);
    if (count < 1) throw new Error('no envelopes left for a batch');
    const from = this.offsets[first] as number;
    const to = this.offsets[first + count] as number;
    const out = new Uint8Array(6 + to - from);
    out.set([MAGIC_0, MAGIC_1, VERSION, TYPE.envelopeBatch, count >> 8, count & 0xff]);
    out.set(this.bytes.subarray(from, to), 6);
    return out.buffer;
  }
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function header(out: Uint8Array, type: number): void {
  out.set([MAGIC_0, MAGIC_1, VERSION, type]);
}

/** FetchRequest: header, mailbox id (16), session token (32), max u16. */
export function fetchRequest(id: Uint8Array, token: Uint8Array, max: number): ArrayBuffer {
  const out = new Uint8Array(4 + 16 + 32 + 2);
  header(out, TYPE.fetchRequest);
  out.set(id, 4);
  out.set(token, 20);
  out.set([max >> 8, max & 0xff], 52);
  return out.buffer;
}

/** AckRequest: header, mailbox id (16), session token (32), count u16, ids (16 each). */
export function ackRequest(id: Uint8Array, token: Uint8Array, ids: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(4 + 16 + 32 + 2 + ids.length * 16);
  header(out, TYPE.ackRequest);
  out.set(id, 4);
  out.set(token, 20);
  out.set([ids.length >> 8, ids.length & 0xff], 52);
  ids.forEach((x, i) => {
    out.set(x, 54 + i * 16);
  });
  return out.buffer;
}

/**
 * Envelope id: SHA-256 of the envelope without its postage field, first 16 bytes. The
 * postage sits after header (4), relay (u8 length + name), mailbox id (16), expiry (4).
 */
export function envelopeId(env: Uint8Array): Uint8Array {
  const relayLen = env[4] as number;
  const off = 4 + 1 + relayLen + 16 + 4;
  const unstamped = new Uint8Array(env.length - POSTAGE_SIZE);
  unstamped.set(env.subarray(0, off));
  unstamped.set(env.subarray(off + POSTAGE_SIZE), off);
  return new Uint8Array(sha256(unstamped.buffer, 'binary')).slice(0, 16);
}

/** FetchResponse: header, remaining u32, count u16, count x (u32 length + Envelope). */
export function fetchResponseIds(body: ArrayBuffer): { remaining: number; ids: Uint8Array[] } {
  const b = new Uint8Array(body);
  const view = new DataView(body);
  if (b[0] !== MAGIC_0 || b[1] !== MAGIC_1 || b[3] !== TYPE.fetchResponse)
    throw new Error('not a FetchResponse');
  const remaining = view.getUint32(4);
  const count = view.getUint16(8);
  const ids: Uint8Array[] = [];
  let at = 10;
  for (let i = 0; i < count; i++) {
    const len = view.getUint32(at);
    ids.push(envelopeId(b.subarray(at + 4, at + 4 + len)));
    at += 4 + len;
  }
  return { remaining, ids };
}
