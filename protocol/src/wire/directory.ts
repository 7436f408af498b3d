import { sha256 } from '@noble/hashes/sha2.js';
import { isCanonicalName, NAME_MAX, NAME_MIN } from '../names.js';
import type { Result } from '../result.js';
import {
  MESSAGE_ID_SIZE,
  PUBLIC_KEY_SIZE,
  readAddress,
  writeAddress,
  type MailboxAddress,
} from './address.js';
import { decodeWith } from './decode.js';
import { POSTAGE_SIZE } from './envelope.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** Largest signed DirectoryEntry accepted (a real one is about 260 bytes). */
export const MAX_SIGNED_ENTRY = 1024;
/** How far a registration timestamp may be from the relay clock, either way. */
export const DIRECTORY_CLOCK_WINDOW_MS = 10 * 60_000;
/**
 * Registration postage is this many bits harder than mail postage at the same moment:
 * a name is scarce and permanent, a message is neither.
 */
export const REGISTRATION_EXTRA_BITS = 4;

/*
 * A name on the wire:
 * +--------+-------------------------------------------+
 * | len u8 | name: 3-32 ASCII bytes of [a-z0-9_]        |
 * +--------+-------------------------------------------+
 * Only the canonical (case-folded) spelling is valid.
 */
export function writeName(w: Writer, name: string): void {
  if (!isCanonicalName(name)) throw new RangeError('not a canonical name');
  w.bytesU8(new TextEncoder().encode(name));
}

export function readName(r: Reader): string {
  const raw = r.bytesU8(NAME_MIN, NAME_MAX, 'name');
  let s = '';
  for (const b of raw) s += String.fromCharCode(b);
  if (!isCanonicalName(s)) throw new WireError('ERR_WIRE_FIELD', 'name');
  return s;
}

function checkKey(k: Uint8Array, what: string): void {
  if (k.length !== PUBLIC_KEY_SIZE) throw new RangeError(`${what} must be 45 bytes`);
}

/** What a komrade publishes under a name. Signed by the identity key it names. */
export interface DirectoryEntry {
  readonly name: string;
  /** The komrade's long-term identity public key. */
  readonly identityKey: Uint8Array;
  /** The introduction mailbox: where contact requests go. */
  readonly intro: MailboxAddress;
  /** Public key of the introduction mailbox (requests are sealed to it). */
  readonly introKey: Uint8Array;
  /** When the owner signed this entry, Unix milliseconds. */
  readonly timestampMs: number;
}

/*
 * DirectoryEntry (type 0x20), the statement the identity key signs:
 * +--------+------+-------------------------------+-----------------+---------------------------+---------------+
 * | header | name | identity key (u8 len=45 + key) | intro address | intro key (u8 len=45 + key) | timestamp u64 |
 * +--------+------+-------------------------------+-----------------+---------------------------+---------------+
 */
export function encodeDirectoryEntry(e: DirectoryEntry): Uint8Array {
  checkKey(e.identityKey, 'identity key');
  checkKey(e.introKey, 'intro key');
  const w = new Writer(256);
  writeHeader(w, MessageType.DirectoryEntry);
  writeName(w, e.name);
  w.bytesU8(e.identityKey);
  writeAddress(w, e.intro);
  w.bytesU8(e.introKey).u64(e.timestampMs);
  return w.finish();
}

export function decodeDirectoryEntry(bytes: Uint8Array): Result<DirectoryEntry> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.DirectoryEntry);
    const name = readName(r);
    const identityKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'identity key');
    const intro = readAddress(r);
    const introKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'intro key');
    const timestampMs = r.u64('timestamp');
    return { name, identityKey, intro, introKey, timestampMs };
  });
}

/** A registration: the signed entry, the key that signed it, and a postage stamp. */
export interface DirectoryRegister {
  readonly identityKey: Uint8Array;
  /** Proof-of-work nonce over registrationIdOf(identityKey, signedEntry). */
  readonly postage: Uint8Array;
  /** Themis Secure Message signed form of a DirectoryEntry. */
  readonly signedEntry: Uint8Array;
}

/*
 * DirectoryRegister (type 0x21):
 * +--------+--------------------------------+-------------+----------------------------------------+
 * | header | identity key (u8 len=45 + key) | postage (8) | signed entry (u16 len + bytes, 1-1024) |
 * +--------+--------------------------------+-------------+----------------------------------------+
 * The identity key travels outside the signature so the verifier knows which key to
 * check with; the entry inside must name the same key.
 */
export function encodeDirectoryRegister(m: DirectoryRegister): Uint8Array {
  checkKey(m.identityKey, 'identity key');
  if (m.postage.length !== POSTAGE_SIZE) throw new RangeError('postage must be 8 bytes');
  if (m.signedEntry.length < 1 || m.signedEntry.length > MAX_SIGNED_ENTRY)
    throw new RangeError('signed entry size');
  const w = new Writer(64 + m.signedEntry.length);
  writeHeader(w, MessageType.DirectoryRegister);
  w.bytesU8(m.identityKey).bytes(m.postage).bytesU16(m.signedEntry);
  return w.finish();
}

export function decodeDirectoryRegister(bytes: Uint8Array): Result<DirectoryRegister> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.DirectoryRegister);
    const identityKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'identity key');
    const postage = r.bytesFixed(POSTAGE_SIZE, 'postage');
    const signedEntry = r.bytesU16(1, MAX_SIGNED_ENTRY, 'signed entry');
    return { identityKey, postage, signedEntry };
  });
}

const REGISTRATION_DOMAIN = new TextEncoder().encode('KM-DIRECTORY-1');

/**
 * What registration postage is bound to: the first 16 bytes of
 * SHA-256("KM-DIRECTORY-1" || identity key || signed entry). A stamp cannot be moved to
 * another entry, and re-stamping does not change what was signed.
 */
export function registrationIdOf(m: {
  readonly identityKey: Uint8Array;
  readonly signedEntry: Uint8Array;
}): Uint8Array {
  return sha256
    .create()
    .update(REGISTRATION_DOMAIN)
    .update(m.identityKey)
    .update(m.signedEntry)
    .digest()
    .slice(0, MESSAGE_ID_SIZE);
}

/** Asks for the entry registered under a name. */
export interface DirectoryLookup {
  readonly name: string;
}

/*
 * DirectoryLookup (type 0x22):
 * +--------+------+
 * | header | name |
 * +--------+------+
 */
export function encodeDirectoryLookup(m: DirectoryLookup): Uint8Array {
  const w = new Writer(40);
  writeHeader(w, MessageType.DirectoryLookup);
  writeName(w, m.name);
  return w.finish();
}

export function decodeDirectoryLookup(bytes: Uint8Array): Result<DirectoryLookup> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.DirectoryLookup);
    return { name: readName(r) };
  });
}

/** What the directory stores and answers: a signed entry and the key to check it with. */
export interface DirectoryRecord {
  readonly identityKey: Uint8Array;
  readonly signedEntry: Uint8Array;
}

/*
 * DirectoryRecord (type 0x23), the answer to a lookup and to a registration:
 * +--------+--------------------------------+----------------------------------------+
 * | header | identity key (u8 len=45 + key) | signed entry (u16 len + bytes, 1-1024) |
 * +--------+--------------------------------+----------------------------------------+
 * Clients verify it themselves (see openDirectoryRecord); the relay is not trusted.
 */
export function encodeDirectoryRecord(m: DirectoryRecord): Uint8Array {
  checkKey(m.identityKey, 'identity key');
  if (m.signedEntry.length < 1 || m.signedEntry.length > MAX_SIGNED_ENTRY)
    throw new RangeError('signed entry size');
  const w = new Writer(56 + m.signedEntry.length);
  writeHeader(w, MessageType.DirectoryRecord);
  w.bytesU8(m.identityKey).bytesU16(m.signedEntry);
  return w.finish();
}

export function decodeDirectoryRecord(bytes: Uint8Array): Result<DirectoryRecord> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.DirectoryRecord);
    const identityKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'identity key');
    const signedEntry = r.bytesU16(1, MAX_SIGNED_ENTRY, 'signed entry');
    return { identityKey, signedEntry };
  });
}
