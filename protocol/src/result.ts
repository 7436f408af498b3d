import type { ErrorCode } from './errors.js';

/** Outcome of an operation whose failure is expected (bad input, wrong key, ...). */
export type Result<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; detail?: string };

/** Wraps a value as a successful result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** A failed result with a registered error code and an optional safe detail. */
export function fail<T = never>(code: ErrorCode, detail?: string): Result<T> {
  return detail === undefined ? { ok: false, code } : { ok: false, code, detail };
}
