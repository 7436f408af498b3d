import type { Result } from '../result.js';
import { PUBLIC_KEY_SIZE, readAddress, writeAddress, type MailboxAddress } from './address.js';
import { decodeWith } from './decode.js';
import { readName, writeName } from './directory.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** Longest greeting a contact request may carry, in UTF-8 bytes. */
export const MAX_NOTE_BYTES = 280;
/** Secure Comparator messages are 96-352 bytes; anything much larger is not one. */
export const MAX_VERIFY_PAYLOAD = 1024;
/** Size of the random id naming one interactive safety-number check. */
export const VERIFY_RUN_ID_SIZE = 16;
/** A Secure Comparator run has exactly four messages. */
export const VERIFY_STEPS = 4;

// Strict UTF-8 that keeps a leading BOM, so decode then encode gives back the same bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readUtf8(r: Reader, max: number, what: string): string {
  const raw = r.bytesU16(0, max, what);
  try {
    return utf8.decode(raw);
  } catch {
    throw new WireError('ERR_WIRE_FIELD', what);
  }
}

/**
 * Where the other side should write from now on: a private mailbox made for this one
 * contact, and its public key. Sent only inside sealed mail.
 */
export interface ContactMailbox {
  /** The sender's registered name (the recipient checks it against the directory). */
  readonly name: string;
  readonly mailbox: MailboxAddress;
  readonly mailboxKey: Uint8Array;
}

/** Content of a ContentKind.ContactRequest message, sealed to an introduction mailbox. */
export interface ContactRequest extends ContactMailbox {
  /** A short greeting, so the recipient recognises who asks (may be empty). */
  readonly note: string;
}

/*
 * ContactRequest (type 0x24):
 * +--------+----------------+---------------------+---------------------------------+----------------------------+
 * | header | requester name | reply mailbox address | reply mailbox key (u8 len=45) | note (u16 len + UTF-8, <=280) |
 * +--------+----------------+---------------------+---------------------------------+----------------------------+
 */
export function encodeContactRequest(m: ContactRequest): Uint8Array {
  const note = new TextEncoder().encode(m.note);
  if (note.length > MAX_NOTE_BYTES) throw new RangeError('note too long');
  if (m.mailboxKey.length !== PUBLIC_KEY_SIZE) throw new RangeError('mailbox key must be 45 bytes');
  const w = new Writer(160 + note.length);
  writeHeader(w, MessageType.ContactRequest);
  writeName(w, m.name);
  writeAddress(w, m.mailbox);
  w.bytesU8(m.mailboxKey).bytesU16(note);
  return w.finish();
}

export function decodeContactRequest(bytes: Uint8Array): Result<ContactRequest> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.ContactRequest);
    const name = readName(r);
    const mailbox = readAddress(r);
    const mailboxKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'mailbox key');
    const note = readUtf8(r, MAX_NOTE_BYTES, 'note');
    return { name, mailbox, mailboxKey, note };
  });
}

/** Content of a ContentKind.ContactAccept message, sealed to the requester's contact mailbox. */
export type ContactAccept = ContactMailbox;

/*
 * ContactAccept (type 0x25):
 * +--------+---------------+-----------------+----------------------------+
 * | header | accepter name | mailbox address | mailbox key (u8 len=45)    |
 * +--------+---------------+-----------------+----------------------------+
 */
export function encodeContactAccept(m: ContactAccept): Uint8Array {
  if (m.mailboxKey.length !== PUBLIC_KEY_SIZE) throw new RangeError('mailbox key must be 45 bytes');
  const w = new Writer(160);
  writeHeader(w, MessageType.ContactAccept);
  writeName(w, m.name);
  writeAddress(w, m.mailbox);
  w.bytesU8(m.mailboxKey);
  return w.finish();
}

export function decodeContactAccept(bytes: Uint8Array): Result<ContactAccept> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.ContactAccept);
    const name = readName(r);
    const mailbox = readAddress(r);
    const mailboxKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'mailbox key');
    return { name, mailbox, mailboxKey };
  });
}

/** Content of a ContentKind.Verify message: one Secure Comparator message of one run. */
export interface VerifyStep {
  /** Random id chosen by the initiator; both sides ignore steps of other runs. */
  readonly runId: Uint8Array;
  /** 1 to 4: initiator sends 1 and 3, responder 2 and 4. */
  readonly step: number;
  readonly payload: Uint8Array;
}

/*
 * VerifyStep (type 0x26):
 * +--------+-------------+---------+-------------------------------------+
 * | header | run id (16) | step u8 | payload (u16 len + bytes, 1-1024)   |
 * +--------+-------------+---------+-------------------------------------+
 */
export function encodeVerifyStep(m: VerifyStep): Uint8Array {
  if (m.runId.length !== VERIFY_RUN_ID_SIZE) throw new RangeError('run id must be 16 bytes');
  if (!Number.isInteger(m.step) || m.step < 1 || m.step > VERIFY_STEPS)
    throw new RangeError('step');
  if (m.payload.length < 1 || m.payload.length > MAX_VERIFY_PAYLOAD)
    throw new RangeError('payload size');
  const w = new Writer(32 + m.payload.length);
  writeHeader(w, MessageType.VerifyStep);
  w.bytes(m.runId).u8(m.step).bytesU16(m.payload);
  return w.finish();
}

export function decodeVerifyStep(bytes: Uint8Array): Result<VerifyStep> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.VerifyStep);
    const runId = r.bytesFixed(VERIFY_RUN_ID_SIZE, 'run id');
    const step = r.u8('step');
    if (step < 1 || step > VERIFY_STEPS) throw new WireError('ERR_WIRE_FIELD', 'step');
    const payload = r.bytesU16(1, MAX_VERIFY_PAYLOAD, 'payload');
    return { runId, step, payload };
  });
}
