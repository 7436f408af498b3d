import { KeyPair as ThemisKeyPair, PrivateKey, PublicKey, SymmetricKey } from 'wasm-themis';
import { fail, ok, type Result } from '../result.js';
import { assertCryptoReady } from './themis-init.js';
import { themisCode } from './themis-errors.js';

/** A Themis EC key pair as plain bytes (45-byte Themis containers). */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/** Makes a fresh EC key pair. */
export function generateKeyPair(): KeyPair {
  assertCryptoReady();
  const kp = new ThemisKeyPair();
  return { publicKey: new Uint8Array(kp.publicKey), privateKey: new Uint8Array(kp.privateKey) };
}

/** Makes a random symmetric key for Secure Cell. */
export function generateSymmetricKey(): Uint8Array {
  assertCryptoReady();
  return new Uint8Array(new SymmetricKey());
}

/** Parses bytes as a Themis public key. */
export function toPublicKey(bytes: Uint8Array): Result<PublicKey> {
  assertCryptoReady();
  try {
    return ok(new PublicKey(bytes));
  } catch (e) {
    return fail(themisCode(e, 'key'));
  }
}

/** Parses bytes as a Themis private key. */
export function toPrivateKey(bytes: Uint8Array): Result<PrivateKey> {
  assertCryptoReady();
  try {
    return ok(new PrivateKey(bytes));
  } catch (e) {
    return fail(themisCode(e, 'key'));
  }
}

/** True when bytes are a well-formed Themis public key. */
export function isPublicKey(bytes: Uint8Array): boolean {
  return toPublicKey(bytes).ok;
}
