import { fail, ok, type Result } from '../result.js';
import { Reader } from './reader.js';
import { WireError } from './wire-error.js';

/**
 * Runs a decoder body over bytes and turns every WireError into a typed failure.
 * Anything else thrown is a bug and propagates.
 */
export function decodeWith<T>(bytes: Uint8Array, body: (r: Reader) => T): Result<T> {
  if (!(bytes instanceof Uint8Array)) return fail('ERR_WIRE_FIELD', 'not bytes');
  try {
    const r = new Reader(bytes);
    const value = body(r);
    r.end();
    return ok(value);
  } catch (e) {
    if (e instanceof WireError) return fail(e.code, e.message);
    throw e;
  }
}
