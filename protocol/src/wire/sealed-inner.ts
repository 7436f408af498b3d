import type { Result } from '../result.js';
import { PUBLIC_KEY_SIZE } from './address.js';
import { decodeWith } from './decode.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { MAX_PLAINTEXT, PLAINTEXT_BUCKETS, bucketFor } from './padding.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** The plaintext inside an envelope: who sent it, and their signed body. */
export interface SealedInner {
  /** The sender's identity public key (hidden from the operator by the encryption). */
  readonly senderKey: Uint8Array;
  /** Themis Secure Message signed form of a SignedBody. */
  readonly signed: Uint8Array;
}

/** Bytes of an inner message before padding: header, key, length-prefixed signed body. */
export function innerSize(signedLength: number): number {
  return 4 + 1 + PUBLIC_KEY_SIZE + 4 + signedLength;
}

/*
 * SealedInner (type 0x03), padded with zero bytes to a PLAINTEXT_BUCKETS size:
 * +--------+----------------------------+-------------------------------+-------------+
 * | header | sender key (u8 len=45 + key) | signed (u32 len + bytes)   | zero padding |
 * +--------+----------------------------+-------------------------------+-------------+
 */
export function encodeSealedInner(m: SealedInner): Uint8Array | undefined {
  if (m.senderKey.length !== PUBLIC_KEY_SIZE) throw new RangeError('sender key must be 45 bytes');
  if (m.signed.length < 1) throw new RangeError('signed body must not be empty');
  const size = innerSize(m.signed.length);
  const bucket = bucketFor(size);
  if (bucket === undefined) return undefined;
  const w = new Writer(bucket);
  writeHeader(w, MessageType.SealedInner);
  w.bytesU8(m.senderKey)
    .bytesU32(m.signed)
    .zeros(bucket - size);
  return w.finish();
}

export function decodeSealedInner(bytes: Uint8Array): Result<SealedInner> {
  return decodeWith(bytes, (r) => {
    if (!(PLAINTEXT_BUCKETS as readonly number[]).includes(bytes.length))
      throw new WireError('ERR_WIRE_PADDING', 'not a bucket size');
    readHeader(r, MessageType.SealedInner);
    const senderKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'sender key');
    const signed = r.bytesU32(1, MAX_PLAINTEXT, 'signed');
    const pad = r.rest();
    for (const b of pad) if (b !== 0) throw new WireError('ERR_WIRE_PADDING', 'non-zero padding');
    return { senderKey, signed };
  });
}
