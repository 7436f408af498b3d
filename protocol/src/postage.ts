import { sha256 } from '@noble/hashes/sha2.js';
import { POSTAGE_SIZE } from './wire/envelope.js';

const DOMAIN = new TextEncoder().encode('KM-POSTAGE-1');
/** Hardest stamp anyone may be asked for (2^28 hashes is minutes of work). */
export const MAX_DIFFICULTY = 28;

function digest(id: Uint8Array, nonce: Uint8Array): Uint8Array {
  return sha256.create().update(DOMAIN).update(id).update(nonce).digest();
}

/** Number of leading zero bits of a digest. */
export function leadingZeroBits(d: Uint8Array): number {
  let n = 0;
  for (const b of d) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/**
 * Postage (proof of work) bound to an envelope id:
 * SHA-256("KM-POSTAGE-1" || envelope id || nonce) must start with `difficulty` zero bits.
 * One hash to check, about 2^difficulty to mint.
 */
export function postageBits(id: Uint8Array, nonce: Uint8Array): number {
  return leadingZeroBits(digest(id, nonce));
}

export function checkPostage(id: Uint8Array, nonce: Uint8Array, difficulty: number): boolean {
  return nonce.length === POSTAGE_SIZE && postageBits(id, nonce) >= difficulty;
}

function nonceFrom(counter: number, out: Uint8Array): void {
  let c = counter;
  for (let i = POSTAGE_SIZE - 1; i >= 0; i--) {
    out[i] = c & 0xff;
    c = Math.floor(c / 256);
  }
}

/** Mints a stamp synchronously. Fine up to ~20 bits; use mintPostageAsync for progress. */
export function mintPostage(id: Uint8Array, difficulty: number): Uint8Array {
  if (difficulty < 0 || difficulty > MAX_DIFFICULTY)
    throw new RangeError('difficulty out of range');
  const nonce = new Uint8Array(POSTAGE_SIZE);
  for (let c = 0; ; c++) {
    nonceFrom(c, nonce);
    if (postageBits(id, nonce) >= difficulty) return nonce;
  }
}

/**
 * Mints a stamp, yielding to the event loop every `slice` attempts so a UI stays live.
 * `onProgress` receives attempts so far and the expected total (2^difficulty).
 */
export async function mintPostageAsync(
  id: Uint8Array,
  difficulty: number,
  opts: {
    signal?: AbortSignal;
    onProgress?: (tried: number, expected: number) => void;
    slice?: number;
  } = {},
): Promise<Uint8Array> {
  if (difficulty < 0 || difficulty > MAX_DIFFICULTY)
    throw new RangeError('difficulty out of range');
  const slice = opts.slice ?? 4096;
  const expected = 2 ** difficulty;
  const nonce = new Uint8Array(POSTAGE_SIZE);
  for (let c = 0; ; c++) {
    nonceFrom(c, nonce);
    if (postageBits(id, nonce) >= difficulty) return nonce;
    if (c % slice === slice - 1) {
      opts.onProgress?.(c + 1, expected);
      opts.signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, 0));
    }
  }
}
