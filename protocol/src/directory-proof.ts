import { bytesEqual } from './constant-time.js';
import type { KeyPair } from './crypto/keys.js';
import { secureMessageSign, secureMessageVerify } from './crypto/secure-message.js';
import { fail, ok, type Result } from './result.js';
import {
  decodeDirectoryEntry,
  encodeDirectoryEntry,
  type DirectoryEntry,
  type DirectoryRecord,
} from './wire/directory.js';

/**
 * Signs a directory entry with the identity key it names (proof of possession).
 * `ERR_NAME_PROOF` when the entry names another key than the one signing.
 */
export function signDirectoryEntry(identity: KeyPair, entry: DirectoryEntry): Result<Uint8Array> {
  if (!bytesEqual(entry.identityKey, identity.publicKey)) return fail('ERR_NAME_PROOF');
  return secureMessageSign(identity.privateKey, encodeDirectoryEntry(entry));
}

/**
 * Checks a directory record the way everyone must before trusting it: the signature is
 * valid for the record's key, the signed entry decodes, it names that same key, and (when
 * given) it is the entry for `expectedName`. One Themis verify. Signature failures and a
 * key or name mismatch are all `ERR_NAME_PROOF`; a malformed entry keeps its wire code.
 */
export function openDirectoryRecord(
  record: DirectoryRecord,
  expectedName?: string,
): Result<DirectoryEntry> {
  const verified = secureMessageVerify(record.identityKey, record.signedEntry);
  if (!verified.ok) return fail('ERR_NAME_PROOF');
  const entry = decodeDirectoryEntry(verified.value);
  if (!entry.ok) return entry;
  if (!bytesEqual(entry.value.identityKey, record.identityKey)) return fail('ERR_NAME_PROOF');
  if (expectedName !== undefined && entry.value.name !== expectedName)
    return fail('ERR_NAME_PROOF');
  return ok(entry.value);
}
