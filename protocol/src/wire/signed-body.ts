import type { Result } from '../result.js';
import { MESSAGE_ID_SIZE, readAddress, writeAddress, type MailboxAddress } from './address.js';
import { decodeWith } from './decode.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { MAX_PLAINTEXT } from './padding.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** What a message carries; the application layer gives each kind its content format. */
export const ContentKind = Object.freeze({
  Text: 0x01,
  ContactRequest: 0x02,
  ContactAccept: 0x03,
  /** One step of an interactive safety-number check (Secure Comparator). */
  Verify: 0x04,
  /** A Post (type 0x40): to contacts (friends) or, through a fan-out address, to a collective. */
  Post: 0x10,
  /** A CollectiveKeyGrant (type 0x3e): hands a new member the group key pair. */
  CollectiveKey: 0x11,
});
export type ContentKind = (typeof ContentKind)[keyof typeof ContentKind];
const KINDS: ReadonlySet<number> = new Set(Object.values(ContentKind));

/** The body the sender signs: bound to the recipient mailbox, a time and a unique id. */
export interface SignedBody {
  readonly to: MailboxAddress;
  /** Sender's clock, Unix milliseconds. */
  readonly timestampMs: number;
  /** 16 random bytes; the recipient rejects ids it has already seen. */
  readonly messageId: Uint8Array;
  readonly kind: ContentKind;
  readonly content: Uint8Array;
}

/*
 * SignedBody (type 0x04):
 * +--------+---------------------------+----------------+-----------------+---------+
 * | header | recipient address         | timestamp u64  | message id (16) | kind u8 |
 * +--------+---------------------------+----------------+-----------------+---------+
 * | content (u32 len + bytes, at most 65536)                                        |
 * +---------------------------------------------------------------------------------+
 */
export function encodeSignedBody(b: SignedBody): Uint8Array {
  if (b.messageId.length !== MESSAGE_ID_SIZE) throw new RangeError('message id must be 16 bytes');
  if (!KINDS.has(b.kind)) throw new RangeError('unknown content kind');
  if (b.content.length > MAX_PLAINTEXT) throw new RangeError('content too large');
  const w = new Writer(b.content.length + 128);
  writeHeader(w, MessageType.SignedBody);
  writeAddress(w, b.to);
  w.u64(b.timestampMs).bytes(b.messageId).u8(b.kind).bytesU32(b.content);
  return w.finish();
}

export function decodeSignedBody(bytes: Uint8Array): Result<SignedBody> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.SignedBody);
    const to = readAddress(r);
    const timestampMs = r.u64('timestamp');
    const messageId = r.bytesFixed(MESSAGE_ID_SIZE, 'message id');
    const kind = r.u8('kind');
    if (!KINDS.has(kind)) throw new WireError('ERR_WIRE_FIELD', 'kind');
    const content = r.bytesU32(0, MAX_PLAINTEXT, 'content');
    return { to, timestampMs, messageId, kind: kind as ContentKind, content };
  });
}
