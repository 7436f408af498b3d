import { isCanonicalName } from '../names.js';
import type { Result } from '../result.js';
import { MESSAGE_ID_SIZE, PUBLIC_KEY_SIZE, isRelayName, readRelay } from './address.js';
import { decodeWith } from './decode.js';
import { readName, writeName } from './directory.js';
import { MAX_BATCH, MAX_ENVELOPE_BYTES } from './envelope-batch.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/*
 * Federation: messages relays exchange with each other (types 0x50-0x55), and the one a
 * client sends its home relay to look a name up on another relay. See SPEC.md section 19.
 */

/** Longest relay URL in a descriptor (an onion URL is about 70 bytes). */
export const RELAY_URL_MAX = 512;
/** Largest signed statement or descriptor accepted (a real one is about 200 bytes). */
export const MAX_RELAY_SIGNED = 1024;
/** Nonces of relay requests are 16 random bytes. */
export const RELAY_NONCE_SIZE = 16;
/** SHA-256 digests. */
export const RELAY_DIGEST_SIZE = 32;
/** Largest body a relay message can carry: a full EnvelopeBatch of the largest envelopes. */
export const MAX_RELAY_BODY = 4 + 2 + MAX_BATCH * (4 + MAX_ENVELOPE_BYTES);

/** What a signed relay statement is about. Unknown values are ERR_WIRE_FIELD. */
export const RelayKind = Object.freeze({
  /** Request: the body is an EnvelopeBatch for mailboxes on the receiving relay. */
  MailRequest: 0x01,
  /** Request: the body is a DirectoryLookup for the receiving relay's directory. */
  LookupRequest: 0x02,
  /** Request: the body is a RelayFanout (collective posts, SPEC.md section 20.9). */
  FanoutRequest: 0x03,
  /** Request: the body is a RemoteCollective naming the requesting relay (section 20.9). */
  CollectiveRequest: 0x04,
  /** Response to MailRequest: the body is a RelayMailReceipt. */
  MailReceipt: 0x81,
  /** Response to LookupRequest: the body is a DirectoryRecord or an ErrorReply. */
  LookupAnswer: 0x82,
  /** Response to FanoutRequest: the body is a RelayMailReceipt (one entry per item). */
  FanoutReceipt: 0x83,
  /** Response to CollectiveRequest: vouch's answer (CollectiveResult, CollectiveView, VouchCount or ErrorReply). */
  CollectiveAnswer: 0x84,
});
export type RelayKind = (typeof RelayKind)[keyof typeof RelayKind];
const RELAY_KINDS: ReadonlySet<number> = new Set(Object.values(RelayKind));

function checkKey(k: Uint8Array): void {
  if (k.length !== PUBLIC_KEY_SIZE) throw new RangeError('relay key must be 45 bytes');
}

function writeRelay(w: Writer, relay: string): void {
  if (!isRelayName(relay)) throw new RangeError('invalid relay name');
  w.bytesU8(new TextEncoder().encode(relay));
}

const URL_RE = /^[\x21-\x7e]*$/;

// ---------------------------------------------------------------------------------------

/** A relay's public identity: its name, its key and where it is reached. */
export interface RelayDescriptor {
  readonly relay: string;
  /** The relay's long-term Themis EC public key. */
  readonly relayKey: Uint8Array;
  /** Where peers reach it (an onion URL in production); may be empty. */
  readonly url: string;
  /** When it was signed, Unix milliseconds. */
  readonly timestampMs: number;
}

/*
 * RelayDescriptor (type 0x50), the statement the relay key signs:
 * +--------+-------+------------------------------+--------------------------------------+---------------+
 * | header | relay | relay key (u8 len=45 + key)  | url (u16 len + printable ASCII, 0-512) | timestamp u64 |
 * +--------+-------+------------------------------+--------------------------------------+---------------+
 */
export function encodeRelayDescriptor(d: RelayDescriptor): Uint8Array {
  checkKey(d.relayKey);
  if (d.url.length > RELAY_URL_MAX || !URL_RE.test(d.url)) throw new RangeError('relay url');
  const w = new Writer(128 + d.url.length);
  writeHeader(w, MessageType.RelayDescriptor);
  writeRelay(w, d.relay);
  w.bytesU8(d.relayKey).bytesU16(new TextEncoder().encode(d.url)).u64(d.timestampMs);
  return w.finish();
}

export function decodeRelayDescriptor(bytes: Uint8Array): Result<RelayDescriptor> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RelayDescriptor);
    const relay = readRelay(r);
    const relayKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'relay key');
    const raw = r.bytesU16(0, RELAY_URL_MAX, 'url');
    let url = '';
    for (const b of raw) url += String.fromCharCode(b);
    if (!URL_RE.test(url)) throw new WireError('ERR_WIRE_FIELD', 'url');
    const timestampMs = r.u64('timestamp');
    return { relay, relayKey, url, timestampMs };
  });
}

/** A signed descriptor and the key to check it with (`GET /v1/relay/descriptor`). */
export interface RelayDescriptorRecord {
  readonly relayKey: Uint8Array;
  /** Themis Secure Message signed form of a RelayDescriptor. */
  readonly signed: Uint8Array;
}

/*
 * RelayDescriptorRecord (type 0x51):
 * +--------+-----------------------------+--------------------------------------------+
 * | header | relay key (u8 len=45 + key) | signed descriptor (u16 len + bytes, 1-1024) |
 * +--------+-----------------------------+--------------------------------------------+
 */
export function encodeRelayDescriptorRecord(m: RelayDescriptorRecord): Uint8Array {
  checkKey(m.relayKey);
  if (m.signed.length < 1 || m.signed.length > MAX_RELAY_SIGNED)
    throw new RangeError('signed descriptor size');
  const w = new Writer(56 + m.signed.length);
  writeHeader(w, MessageType.RelayDescriptorRecord);
  w.bytesU8(m.relayKey).bytesU16(m.signed);
  return w.finish();
}

export function decodeRelayDescriptorRecord(bytes: Uint8Array): Result<RelayDescriptorRecord> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RelayDescriptorRecord);
    const relayKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'relay key');
    const signed = r.bytesU16(1, MAX_RELAY_SIGNED, 'signed descriptor');
    return { relayKey, signed };
  });
}

// ---------------------------------------------------------------------------------------

/** What one relay signs for each request or response on a link. */
export interface RelayStatement {
  readonly kind: RelayKind;
  /** The relay that signs. */
  readonly from: string;
  /** The relay it is meant for. */
  readonly to: string;
  readonly timestampMs: number;
  /** A request's fresh random nonce; a response repeats the nonce of its request. */
  readonly nonce: Uint8Array;
  /** SHA-256 of the body that travels beside the statement. */
  readonly digest: Uint8Array;
}

/*
 * RelayStatement (type 0x52), signed by the relay key of `from`:
 * +--------+---------+------------+----------+---------------+------------+-------------+
 * | header | kind u8 | from relay | to relay | timestamp u64 | nonce (16) | digest (32) |
 * +--------+---------+------------+----------+---------------+------------+-------------+
 */
export function encodeRelayStatement(s: RelayStatement): Uint8Array {
  if (!RELAY_KINDS.has(s.kind)) throw new RangeError('relay kind');
  if (s.nonce.length !== RELAY_NONCE_SIZE) throw new RangeError('nonce must be 16 bytes');
  if (s.digest.length !== RELAY_DIGEST_SIZE) throw new RangeError('digest must be 32 bytes');
  const w = new Writer(200);
  writeHeader(w, MessageType.RelayStatement);
  w.u8(s.kind);
  writeRelay(w, s.from);
  writeRelay(w, s.to);
  w.u64(s.timestampMs).bytes(s.nonce).bytes(s.digest);
  return w.finish();
}

export function decodeRelayStatement(bytes: Uint8Array): Result<RelayStatement> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RelayStatement);
    const kind = r.u8('kind');
    if (!RELAY_KINDS.has(kind)) throw new WireError('ERR_WIRE_FIELD', 'kind');
    const from = readRelay(r);
    const to = readRelay(r);
    const timestampMs = r.u64('timestamp');
    const nonce = r.bytesFixed(RELAY_NONCE_SIZE, 'nonce');
    const digest = r.bytesFixed(RELAY_DIGEST_SIZE, 'digest');
    return { kind: kind as RelayKind, from, to, timestampMs, nonce, digest };
  });
}

/** Every request and response between relays: a signed statement and the body it covers. */
export interface RelayMessage {
  /** The signer's relay key (checked against the configured fingerprint). */
  readonly relayKey: Uint8Array;
  /** Themis Secure Message signed form of a RelayStatement. */
  readonly signed: Uint8Array;
  readonly body: Uint8Array;
}

/*
 * RelayMessage (type 0x53):
 * +--------+-----------------------------+-------------------------------------------+-------------------------------+
 * | header | relay key (u8 len=45 + key) | signed statement (u16 len + bytes, 1-1024) | body (u32 len + bytes, 0-max) |
 * +--------+-----------------------------+-------------------------------------------+-------------------------------+
 */
export function encodeRelayMessage(m: RelayMessage): Uint8Array {
  checkKey(m.relayKey);
  if (m.signed.length < 1 || m.signed.length > MAX_RELAY_SIGNED)
    throw new RangeError('signed statement size');
  if (m.body.length > MAX_RELAY_BODY) throw new RangeError('relay body size');
  const w = new Writer(64 + m.signed.length + m.body.length);
  writeHeader(w, MessageType.RelayMessage);
  w.bytesU8(m.relayKey).bytesU16(m.signed).bytesU32(m.body);
  return w.finish();
}

export function decodeRelayMessage(bytes: Uint8Array): Result<RelayMessage> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RelayMessage);
    const relayKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'relay key');
    const signed = r.bytesU16(1, MAX_RELAY_SIGNED, 'signed statement');
    const body = r.bytesU32(0, MAX_RELAY_BODY, 'body');
    return { relayKey, signed, body };
  });
}

// ---------------------------------------------------------------------------------------

/** What became of one forwarded envelope. Unknown values are ERR_WIRE_FIELD. */
export const ReceiptOutcome = Object.freeze({
  /** Stored durably in the receiving relay's JetStream (or already stored: same id). */
  Stored: 0x00,
  /** Refused for good (wrong relay, expiry, postage): the sender must not retry it. */
  Refused: 0x01,
});
export type ReceiptOutcome = (typeof ReceiptOutcome)[keyof typeof ReceiptOutcome];

export interface ReceiptEntry {
  readonly id: Uint8Array;
  readonly outcome: ReceiptOutcome;
}

/*
 * RelayMailReceipt (type 0x54), the body of a MailReceipt:
 * +--------+-----------+-------------------------------------------+
 * | header | count u16 | count x (envelope id (16) + outcome u8)   |
 * +--------+-----------+-------------------------------------------+
 * count is 0..256, in the order of the batch.
 */
export function encodeRelayMailReceipt(entries: readonly ReceiptEntry[]): Uint8Array {
  if (entries.length > MAX_BATCH) throw new RangeError('receipt size');
  const w = new Writer(8 + entries.length * 17);
  writeHeader(w, MessageType.RelayMailReceipt);
  w.u16(entries.length);
  for (const e of entries) {
    if (e.id.length !== MESSAGE_ID_SIZE) throw new RangeError('id must be 16 bytes');
    if (e.outcome !== ReceiptOutcome.Stored && e.outcome !== ReceiptOutcome.Refused)
      throw new RangeError('receipt outcome');
    w.bytes(e.id).u8(e.outcome);
  }
  return w.finish();
}

export function decodeRelayMailReceipt(bytes: Uint8Array): Result<ReceiptEntry[]> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RelayMailReceipt);
    const count = r.u16('count');
    if (count > MAX_BATCH) throw new WireError('ERR_WIRE_LENGTH', 'count');
    const out: ReceiptEntry[] = [];
    for (let i = 0; i < count; i++) {
      const id = r.bytesFixed(MESSAGE_ID_SIZE, 'id');
      const outcome = r.u8('outcome');
      if (outcome !== ReceiptOutcome.Stored && outcome !== ReceiptOutcome.Refused)
        throw new WireError('ERR_WIRE_FIELD', 'outcome');
      out.push({ id, outcome });
    }
    return out;
  });
}

/** A client asks its home relay for a name registered on another relay. */
export interface RemoteLookup {
  readonly relay: string;
  readonly name: string;
}

/*
 * RemoteLookup (type 0x55), client -> home operator (`POST /v1/directory/lookup`):
 * +--------+-------+------+
 * | header | relay | name |
 * +--------+-------+------+
 */
export function encodeRemoteLookup(m: RemoteLookup): Uint8Array {
  if (!isCanonicalName(m.name)) throw new RangeError('not a canonical name');
  const w = new Writer(112);
  writeHeader(w, MessageType.RemoteLookup);
  writeRelay(w, m.relay);
  writeName(w, m.name);
  return w.finish();
}

export function decodeRemoteLookup(bytes: Uint8Array): Result<RemoteLookup> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RemoteLookup);
    const relay = readRelay(r);
    return { relay, name: readName(r) };
  });
}
