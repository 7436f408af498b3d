import type { Result } from '../result.js';
import { MAILBOX_ID_SIZE, MESSAGE_ID_SIZE } from './address.js';
import { decodeEnvelope, type DecodedEnvelope } from './envelope.js';
import { MAX_ENVELOPE_BYTES } from './envelope-batch.js';
import { decodeWith } from './decode.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { SESSION_TOKEN_SIZE } from './mailbox-session.js';
import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** Most messages one fetch returns and one ack deletes. */
export const MAX_FETCH = 1000;

/** Names a mailbox and proves a session for it. */
export interface MailboxCredential {
  readonly id: Uint8Array;
  readonly token: Uint8Array;
}

function writeCredential(w: Writer, c: MailboxCredential): void {
  if (c.id.length !== MAILBOX_ID_SIZE || c.token.length !== SESSION_TOKEN_SIZE)
    throw new RangeError('bad credential sizes');
  w.bytes(c.id).bytes(c.token);
}

function readCredential(r: Reader): MailboxCredential {
  return {
    id: r.bytesFixed(MAILBOX_ID_SIZE, 'mailbox id'),
    token: r.bytesFixed(SESSION_TOKEN_SIZE, 'token'),
  };
}

export interface FetchRequest extends MailboxCredential {
  /** 1..1000 */
  readonly max: number;
}

/*
 * FetchRequest (type 0x14):
 * +--------+-----------------+------------+-----------+
 * | header | mailbox id (16) | token (32) | max u16   |
 * +--------+-----------------+------------+-----------+
 */
export function encodeFetchRequest(f: FetchRequest): Uint8Array {
  if (!Number.isInteger(f.max) || f.max < 1 || f.max > MAX_FETCH) throw new RangeError('max');
  const w = new Writer(64);
  writeHeader(w, MessageType.FetchRequest);
  writeCredential(w, f);
  w.u16(f.max);
  return w.finish();
}

export function decodeFetchRequest(bytes: Uint8Array): Result<FetchRequest> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.FetchRequest);
    const c = readCredential(r);
    const max = r.u16('max');
    if (max < 1 || max > MAX_FETCH) throw new WireError('ERR_WIRE_FIELD', 'max');
    return { ...c, max };
  });
}

export interface FetchResponse {
  /** Messages still waiting after this page. */
  readonly remaining: number;
  readonly envelopes: readonly Uint8Array[];
}

/*
 * FetchResponse (type 0x15):
 * +--------+---------------+-----------+------------------------------------+
 * | header | remaining u32 | count u16 | count x (u32 len + Envelope bytes) |
 * +--------+---------------+-----------+------------------------------------+
 */
export function encodeFetchResponse(f: FetchResponse): Uint8Array {
  if (f.envelopes.length > MAX_FETCH) throw new RangeError('too many envelopes');
  if (!Number.isInteger(f.remaining) || f.remaining < 0 || f.remaining > 0xffffffff)
    throw new RangeError('remaining out of range');
  const w = new Writer(f.envelopes.reduce((n, e) => n + e.length + 4, 16));
  writeHeader(w, MessageType.FetchResponse);
  w.u32(f.remaining).u16(f.envelopes.length);
  for (const e of f.envelopes) w.bytesU32(e);
  return w.finish();
}

export function decodeFetchResponse(
  bytes: Uint8Array,
): Result<{ remaining: number; envelopes: DecodedEnvelope[] }> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.FetchResponse);
    const remaining = r.u32('remaining');
    const count = r.u16('count');
    if (count > MAX_FETCH) throw new WireError('ERR_WIRE_LENGTH', 'count');
    const envelopes: DecodedEnvelope[] = [];
    for (let i = 0; i < count; i++) {
      const res = decodeEnvelope(r.bytesU32(1, MAX_ENVELOPE_BYTES, 'envelope'));
      if (!res.ok) throw new WireError(res.code, `envelope ${i}`);
      envelopes.push(res.value);
    }
    return { remaining, envelopes };
  });
}

export interface AckRequest extends MailboxCredential {
  /** Envelope ids to delete, 1..1000. */
  readonly ids: readonly Uint8Array[];
}

/*
 * AckRequest (type 0x16):
 * +--------+-----------------+------------+-----------+---------------------+
 * | header | mailbox id (16) | token (32) | count u16 | count x id (16)     |
 * +--------+-----------------+------------+-----------+---------------------+
 */
export function encodeAckRequest(a: AckRequest): Uint8Array {
  if (a.ids.length < 1 || a.ids.length > MAX_FETCH) throw new RangeError('ack count');
  const w = new Writer(64 + a.ids.length * MESSAGE_ID_SIZE);
  writeHeader(w, MessageType.AckRequest);
  writeCredential(w, a);
  w.u16(a.ids.length);
  for (const id of a.ids) {
    if (id.length !== MESSAGE_ID_SIZE) throw new RangeError('id must be 16 bytes');
    w.bytes(id);
  }
  return w.finish();
}

export function decodeAckRequest(bytes: Uint8Array): Result<AckRequest> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.AckRequest);
    const c = readCredential(r);
    const count = r.u16('count');
    if (count < 1 || count > MAX_FETCH) throw new WireError('ERR_WIRE_LENGTH', 'count');
    const ids: Uint8Array[] = [];
    for (let i = 0; i < count; i++) ids.push(r.bytesFixed(MESSAGE_ID_SIZE, 'id'));
    return { ...c, ids };
  });
}

/*
 * AckResponse (type 0x17):
 * +--------+-------------+
 * | header | deleted u16 |
 * +--------+-------------+
 */
export function encodeAckResponse(deleted: number): Uint8Array {
  if (!Number.isInteger(deleted) || deleted < 0 || deleted > 0xffff)
    throw new RangeError('deleted out of range');
  const w = new Writer(8);
  writeHeader(w, MessageType.AckResponse);
  w.u16(deleted);
  return w.finish();
}

export function decodeAckResponse(bytes: Uint8Array): Result<number> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.AckResponse);
    return r.u16('deleted');
  });
}

/*
 * Accepted (type 0x18): the operator's 202 body, ids of the stored envelopes in order.
 * +--------+-----------+-----------------+
 * | header | count u16 | count x id (16) |
 * +--------+-----------+-----------------+
 */
export function encodeAccepted(ids: readonly Uint8Array[]): Uint8Array {
  if (ids.length > 0xffff) throw new RangeError('too many ids');
  if (ids.some((id) => id.length !== MESSAGE_ID_SIZE)) throw new RangeError('id must be 16 bytes');
  const w = new Writer(8 + ids.length * MESSAGE_ID_SIZE);
  writeHeader(w, MessageType.Accepted);
  w.u16(ids.length);
  for (const id of ids) w.bytes(id);
  return w.finish();
}

export function decodeAccepted(bytes: Uint8Array): Result<Uint8Array[]> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.Accepted);
    const count = r.u16('count');
    const ids: Uint8Array[] = [];
    for (let i = 0; i < count; i++) ids.push(r.bytesFixed(MESSAGE_ID_SIZE, 'id'));
    return ids;
  });
}
