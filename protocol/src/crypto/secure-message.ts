import {
  KeyPair as ThemisKeyPair,
  SecureMessage,
  SecureMessageSign,
  SecureMessageVerify,
} from 'wasm-themis';
import type { Result } from '../result.js';
import { toPrivateKey, toPublicKey } from './keys.js';
import { attempt } from './themis-errors.js';

/** Secure Message encrypt: static ECDH of our private key and their public key (no forward secrecy). */
export function secureMessageEncrypt(
  ourPrivate: Uint8Array,
  theirPublic: Uint8Array,
  plaintext: Uint8Array,
): Result<Uint8Array> {
  const priv = toPrivateKey(ourPrivate);
  if (!priv.ok) return priv;
  const pub = toPublicKey(theirPublic);
  if (!pub.ok) return pub;
  return attempt('other', () =>
    new SecureMessage(new ThemisKeyPair(priv.value, pub.value)).encrypt(plaintext),
  );
}

/** Secure Message decrypt; tampering or a wrong key gives ERR_CRYPTO_DECRYPT. */
export function secureMessageDecrypt(
  ourPrivate: Uint8Array,
  theirPublic: Uint8Array,
  ciphertext: Uint8Array,
): Result<Uint8Array> {
  const priv = toPrivateKey(ourPrivate);
  if (!priv.ok) return priv;
  const pub = toPublicKey(theirPublic);
  if (!pub.ok) return pub;
  return attempt('decrypt', () =>
    new SecureMessage(new ThemisKeyPair(priv.value, pub.value)).decrypt(ciphertext),
  );
}

/** Signs bytes; the result carries the message and its signature. */
export function secureMessageSign(ourPrivate: Uint8Array, message: Uint8Array): Result<Uint8Array> {
  const priv = toPrivateKey(ourPrivate);
  if (!priv.ok) return priv;
  return attempt('other', () => new SecureMessageSign(priv.value).sign(message));
}

/** Verifies a signed message and returns the message; any mismatch gives ERR_CRYPTO_SIGNATURE. */
export function secureMessageVerify(
  theirPublic: Uint8Array,
  signed: Uint8Array,
): Result<Uint8Array> {
  const pub = toPublicKey(theirPublic);
  if (!pub.ok) return pub;
  return attempt('verify', () => new SecureMessageVerify(pub.value).verify(signed));
}
