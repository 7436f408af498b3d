import { ThemisError, ThemisErrorCode } from 'wasm-themis';
import type { ErrorCode } from '../errors.js';
import { fail, ok, type Result } from '../result.js';

type Op = 'decrypt' | 'verify' | 'key' | 'other';

/** Maps a Themis failure during `op` to a registry code. Non-Themis errors are bugs and rethrown. */
export function themisCode(e: unknown, op: Op): ErrorCode {
  if (e instanceof TypeError) return 'ERR_CRYPTO_INPUT';
  if (!(e instanceof ThemisError)) throw e;
  const code = (e as unknown as { errorCode: ThemisErrorCode }).errorCode;
  if (op === 'key') return 'ERR_CRYPTO_KEY_INVALID';
  if (op === 'verify') return 'ERR_CRYPTO_SIGNATURE';
  if (code === ThemisErrorCode.INVALID_PARAMETER && op === 'other') return 'ERR_CRYPTO_INPUT';
  if (op === 'decrypt') return 'ERR_CRYPTO_DECRYPT';
  return 'ERR_CRYPTO_FAILED';
}

/** Runs a Themis call and returns its bytes as a plain Uint8Array, or a typed failure. */
export function attempt(op: Op, fn: () => Uint8Array): Result<Uint8Array> {
  try {
    return ok(new Uint8Array(fn()));
  } catch (e) {
    return fail(themisCode(e, op));
  }
}
