import { SecureCellSeal } from 'wasm-themis';
import type { Result } from '../result.js';
import { assertCryptoReady } from './themis-init.js';
import { attempt } from './themis-errors.js';

/** Secure Cell (seal mode) with a symmetric key: fast, authenticated. */
export function cellSealWithKey(
  key: Uint8Array,
  data: Uint8Array,
  context?: Uint8Array,
): Result<Uint8Array> {
  assertCryptoReady();
  return attempt('other', () => SecureCellSeal.withKey(key).encrypt(data, context));
}

export function cellOpenWithKey(
  key: Uint8Array,
  sealed: Uint8Array,
  context?: Uint8Array,
): Result<Uint8Array> {
  assertCryptoReady();
  return attempt('decrypt', () => SecureCellSeal.withKey(key).decrypt(sealed, context));
}

/**
 * Secure Cell with a passphrase: PBKDF2 with 314,110 iterations, about half a second.
 * Unlock once per session, never on a request path.
 */
export function cellSealWithPassphrase(
  passphrase: string,
  data: Uint8Array,
  context?: Uint8Array,
): Result<Uint8Array> {
  assertCryptoReady();
  return attempt('other', () => SecureCellSeal.withPassphrase(passphrase).encrypt(data, context));
}

export function cellOpenWithPassphrase(
  passphrase: string,
  sealed: Uint8Array,
  context?: Uint8Array,
): Result<Uint8Array> {
  assertCryptoReady();
  return attempt('decrypt', () =>
    SecureCellSeal.withPassphrase(passphrase).decrypt(sealed, context),
  );
}
