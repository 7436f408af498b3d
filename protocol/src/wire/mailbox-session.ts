import type { Result } from '../result.js';
import {
  MAILBOX_ID_SIZE,
  PUBLIC_KEY_SIZE,
  readAddress,
  writeAddress,
  type MailboxAddress,
} from './address.js';
import { decodeWith } from './decode.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { Writer } from './writer.js';

export const SESSION_TOKEN_SIZE = 32;
export const PROOF_NONCE_SIZE = 16;
const MAX_SIGNED_PROOF = 512;

/** Registers a mailbox: its random id and the public key that proves ownership later. */
export interface MailboxCreate {
  readonly id: Uint8Array;
  readonly publicKey: Uint8Array;
}

/*
 * MailboxCreate (type 0x10):
 * +--------+-----------------+------------------------------+
 * | header | mailbox id (16) | public key (u8 len=45 + key) |
 * +--------+-----------------+------------------------------+
 */
export function encodeMailboxCreate(m: MailboxCreate): Uint8Array {
  if (m.id.length !== MAILBOX_ID_SIZE || m.publicKey.length !== PUBLIC_KEY_SIZE)
    throw new RangeError('bad mailbox id or key size');
  const w = new Writer(72);
  writeHeader(w, MessageType.MailboxCreate);
  w.bytes(m.id).bytesU8(m.publicKey);
  return w.finish();
}

export function decodeMailboxCreate(bytes: Uint8Array): Result<MailboxCreate> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.MailboxCreate);
    const id = r.bytesFixed(MAILBOX_ID_SIZE, 'mailbox id');
    const publicKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'public key');
    return { id, publicKey };
  });
}

/** The statement a mailbox owner signs to open a session: fresh, bound to one mailbox. */
export interface SessionProof {
  readonly mailbox: MailboxAddress;
  readonly timestampMs: number;
  readonly nonce: Uint8Array;
}

/*
 * SessionProof (type 0x12), signed with the mailbox private key:
 * +--------+------------------+---------------+-------------+
 * | header | mailbox address  | timestamp u64 | nonce (16)  |
 * +--------+------------------+---------------+-------------+
 */
export function encodeSessionProof(p: SessionProof): Uint8Array {
  if (p.nonce.length !== PROOF_NONCE_SIZE) throw new RangeError('nonce must be 16 bytes');
  const w = new Writer(128);
  writeHeader(w, MessageType.SessionProof);
  writeAddress(w, p.mailbox);
  w.u64(p.timestampMs).bytes(p.nonce);
  return w.finish();
}

export function decodeSessionProof(bytes: Uint8Array): Result<SessionProof> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.SessionProof);
    const mailbox = readAddress(r);
    const timestampMs = r.u64('timestamp');
    const nonce = r.bytesFixed(PROOF_NONCE_SIZE, 'nonce');
    return { mailbox, timestampMs, nonce };
  });
}

/** Asks for a session token: the mailbox id and a signed SessionProof. */
export interface SessionOpen {
  readonly id: Uint8Array;
  readonly signedProof: Uint8Array;
}

/*
 * SessionOpen (type 0x11):
 * +--------+-----------------+------------------------------------------+
 * | header | mailbox id (16) | signed proof (u16 len + bytes, <= 512)   |
 * +--------+-----------------+------------------------------------------+
 */
export function encodeSessionOpen(m: SessionOpen): Uint8Array {
  if (m.id.length !== MAILBOX_ID_SIZE) throw new RangeError('mailbox id must be 16 bytes');
  if (m.signedProof.length < 1 || m.signedProof.length > MAX_SIGNED_PROOF)
    throw new RangeError('proof size');
  const w = new Writer(64 + m.signedProof.length);
  writeHeader(w, MessageType.SessionOpen);
  w.bytes(m.id).bytesU16(m.signedProof);
  return w.finish();
}

export function decodeSessionOpen(bytes: Uint8Array): Result<SessionOpen> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.SessionOpen);
    const id = r.bytesFixed(MAILBOX_ID_SIZE, 'mailbox id');
    const signedProof = r.bytesU16(1, MAX_SIGNED_PROOF, 'signed proof');
    return { id, signedProof };
  });
}

/** A session token for fetch and ack, valid for ttlSec seconds. */
export interface SessionGrant {
  readonly token: Uint8Array;
  readonly ttlSec: number;
}

/*
 * SessionGrant (type 0x13):
 * +--------+--------------+-------------+
 * | header | token (32)   | ttl sec u32 |
 * +--------+--------------+-------------+
 */
export function encodeSessionGrant(g: SessionGrant): Uint8Array {
  if (g.token.length !== SESSION_TOKEN_SIZE) throw new RangeError('token must be 32 bytes');
  if (!Number.isInteger(g.ttlSec) || g.ttlSec < 0 || g.ttlSec > 0xffffffff)
    throw new RangeError('ttlSec out of range');
  const w = new Writer(48);
  writeHeader(w, MessageType.SessionGrant);
  w.bytes(g.token).u32(g.ttlSec);
  return w.finish();
}

export function decodeSessionGrant(bytes: Uint8Array): Result<SessionGrant> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.SessionGrant);
    return { token: r.bytesFixed(SESSION_TOKEN_SIZE, 'token'), ttlSec: r.u32('ttl') };
  });
}
