import { sha256Of } from '../digest.js';
import { CIPHERTEXT_SIZES } from './padding.js';
import {
  MESSAGE_ID_SIZE,
  PUBLIC_KEY_SIZE,
  readAddress,
  writeAddress,
  type MailboxAddress,
} from './address.js';
import { decodeWith } from './decode.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import type { Result } from '../result.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

export const POSTAGE_SIZE = 8;

/** A sealed envelope: everything the operator ever sees of a message. */
export interface Envelope {
  readonly to: MailboxAddress;
  /** Unix time in hours; the mail expires at the end of this hour. */
  readonly expiryHour: number;
  /** Proof-of-work nonce bound to the envelope id (see postage.ts). */
  readonly postage: Uint8Array;
  /** Ephemeral Themis EC public key made for this message only. */
  readonly ephemeralKey: Uint8Array;
  /** Themis Secure Message ciphertext of a padded SealedInner. */
  readonly ciphertext: Uint8Array;
}

export interface DecodedEnvelope extends Envelope {
  /** SHA-256 of the envelope without its postage field, first 16 bytes. */
  readonly id: Uint8Array;
  readonly bytes: Uint8Array;
}

/*
 * Envelope (type 0x01):
 * +--------+-------------------+-------------------+-------------+---------------+
 * | header | relay (u8 + ASCII) | mailbox id (16)  | expiry u32  | postage (8)   |
 * +--------+-------------------+-------------------+-------------+---------------+
 * | eph key (u8 len = 45 + key) | ciphertext (u32 len + bytes, len in CIPHERTEXT_SIZES) |
 * +-----------------------------+-------------------------------------------------------+
 * The envelope id hashes every byte except the postage field, so the stamp can be
 * computed after the rest is fixed and re-stamping does not change the id.
 */
export function encodeEnvelope(e: Envelope): Uint8Array {
  if (e.postage.length !== POSTAGE_SIZE) throw new RangeError('postage must be 8 bytes');
  if (e.ephemeralKey.length !== PUBLIC_KEY_SIZE)
    throw new RangeError('ephemeral key must be 45 bytes');
  if (!CIPHERTEXT_SIZES.has(e.ciphertext.length))
    throw new RangeError('ciphertext not a bucket size');
  if (!Number.isInteger(e.expiryHour) || e.expiryHour < 0 || e.expiryHour > 0xffffffff)
    throw new RangeError('expiryHour out of range');
  const w = new Writer(e.ciphertext.length + 128);
  writeHeader(w, MessageType.Envelope);
  writeAddress(w, e.to);
  w.u32(e.expiryHour).bytes(e.postage).bytesU8(e.ephemeralKey).bytesU32(e.ciphertext);
  return w.finish();
}

/** Offset of the postage field in an encoded envelope whose relay name has `relayLen` bytes. */
function postageOffset(relayLen: number): number {
  return 4 + 1 + relayLen + 16 + 4;
}

/** Envelope id of encoded envelope bytes (postage excluded). */
export function envelopeIdOf(bytes: Uint8Array, relayLen: number): Uint8Array {
  const off = postageOffset(relayLen);
  return sha256Of(bytes.subarray(0, off), bytes.subarray(off + POSTAGE_SIZE)).slice(
    0,
    MESSAGE_ID_SIZE,
  );
}

export function decodeEnvelope(bytes: Uint8Array): Result<DecodedEnvelope> {
  return decodeWith(bytes, (r) => readEnvelope(r, bytes));
}

function readEnvelope(r: import('./reader.js').Reader, whole: Uint8Array): DecodedEnvelope {
  const start = r.position;
  readHeader(r, MessageType.Envelope);
  const to = readAddress(r);
  const expiryHour = r.u32('expiry');
  const postage = r.bytesFixed(POSTAGE_SIZE, 'postage');
  const ephemeralKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'ephemeral key');
  const n = r.u32('ciphertext length');
  if (!CIPHERTEXT_SIZES.has(n)) throw new WireError('ERR_WIRE_LENGTH', 'ciphertext');
  const ciphertext = r.bytesFixed(n, 'ciphertext');
  const bytes = whole.subarray(start, r.position);
  const id = envelopeIdOf(bytes, to.relay.length);
  return { to, expiryHour, postage, ephemeralKey, ciphertext, id, bytes: bytes.slice() };
}

/** Re-encodes an envelope with a different postage nonce without re-hashing anything else. */
export function withPostage(bytes: Uint8Array, relayLen: number, postage: Uint8Array): Uint8Array {
  if (postage.length !== POSTAGE_SIZE) throw new RangeError('postage must be 8 bytes');
  const out = bytes.slice();
  out.set(postage, postageOffset(relayLen));
  return out;
}
