import type { ErrorCode } from '../errors.js';

/** Thrown by Reader on malformed input; decoders catch it and return a Result. */
export class WireError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail: string) {
    super(detail);
    this.name = 'WireError';
    this.code = code;
  }
}
