import { isErrorCode, type ErrorCode } from '../errors.js';
import type { Result } from '../result.js';
import { decodeWith } from './decode.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/*
 * ErrorReply (type 0x7f): a service's typed failure answer over NATS.
 * +--------+------------------------------+
 * | header | code (u8 len + ASCII)        |
 * +--------+------------------------------+
 * The code must be a registered ErrorCode.
 */
export function encodeErrorReply(code: ErrorCode): Uint8Array {
  const w = new Writer(48);
  writeHeader(w, MessageType.ErrorReply);
  w.bytesU8(new TextEncoder().encode(code));
  return w.finish();
}

export function decodeErrorReply(bytes: Uint8Array): Result<ErrorCode> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.ErrorReply);
    const raw = r.bytesU8(1, 64, 'code');
    let s = '';
    for (const b of raw) s += String.fromCharCode(b);
    if (!isErrorCode(s)) throw new WireError('ERR_WIRE_FIELD', 'code');
    return s;
  });
}

/** True when bytes start like an ErrorReply (magic, any version, type 0x7f). */
export function isErrorReply(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x4b &&
    bytes[1] === 0x4d &&
    bytes[3] === MessageType.ErrorReply
  );
}
