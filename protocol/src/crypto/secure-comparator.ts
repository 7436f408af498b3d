import { SecureComparator } from 'wasm-themis';
import { fail, ok, type Result } from '../result.js';
import { assertCryptoReady } from './themis-init.js';
import { themisCode } from './themis-errors.js';

/**
 * One side of a Themis Secure Comparator run (zero-knowledge equality check of a secret,
 * e.g. a safety number). Always call dispose(): the comparator holds wasm memory.
 */
export class Comparator implements Disposable {
  private readonly inner: SecureComparator;
  private disposed = false;

  constructor(secret: Uint8Array) {
    assertCryptoReady();
    this.inner = new SecureComparator();
    this.inner.append(secret);
  }

  /** The initiator's first message. */
  begin(): Result<Uint8Array> {
    return this.step(() => this.inner.begin());
  }

  /** Consumes the peer's message; returns the reply (empty when the run is complete). */
  proceed(peerMessage: Uint8Array): Result<Uint8Array> {
    return this.step(() => this.inner.proceed(peerMessage));
  }

  get complete(): boolean {
    return this.inner.complete();
  }

  /** Whether both secrets matched; meaningful once complete. */
  get equal(): boolean {
    return this.inner.complete() && this.inner.compareEqual();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.inner.destroy();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private step(fn: () => Uint8Array): Result<Uint8Array> {
    try {
      return ok(new Uint8Array(fn()));
    } catch (e) {
      return fail(themisCode(e, 'other'));
    }
  }
}
