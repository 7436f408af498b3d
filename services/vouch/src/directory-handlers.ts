import {
  bytesEqual,
  checkRegistrable,
  decodeDirectoryLookup,
  decodeDirectoryRecord,
  decodeDirectoryRegister,
  DIRECTORY_CLOCK_WINDOW_MS,
  encodeDirectoryRecord,
  encodeErrorReply,
  isPublicKey,
  openDirectoryRecord,
} from '@komrade/protocol';
import type { DirectoryStore } from './directory-store.js';

export interface DirectoryDeps {
  readonly store: DirectoryStore;
  /** Introduction mailboxes must live on this relay. */
  readonly relayName: string;
  readonly now: () => number;
}

/**
 * DirectoryRegister -> DirectoryRecord (what is stored under the name now).
 *
 * The operator has already checked the postage stamp (it knows the current difficulty).
 * Here: one Themis verify proves the registrant holds the identity key the entry names
 * (the only asymmetric work per registration; lookups do none), then the name rules, the
 * relay of the introduction mailbox, its key, and the freshness of the signed timestamp.
 * The first writer wins; the same key registering the same name again gets the stored
 * record back (idempotent, nothing is overwritten); another key gets ERR_NAME_TAKEN.
 */
export async function handleRegister(deps: DirectoryDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeDirectoryRegister(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const record = { identityKey: req.value.identityKey, signedEntry: req.value.signedEntry };
  const opened = openDirectoryRecord(record);
  if (!opened.ok) return encodeErrorReply(opened.code);
  const entry = opened.value;
  const allowed = checkRegistrable(entry.name);
  if (!allowed.ok) return encodeErrorReply(allowed.code);
  if (entry.intro.relay !== deps.relayName) return encodeErrorReply('ERR_RELAY_UNKNOWN');
  if (!isPublicKey(entry.introKey)) return encodeErrorReply('ERR_CRYPTO_KEY_INVALID');
  if (Math.abs(deps.now() - entry.timestampMs) > DIRECTORY_CLOCK_WINDOW_MS)
    return encodeErrorReply('ERR_NAME_STALE');
  const bytes = encodeDirectoryRecord(record);
  if (await deps.store.create(entry.name, bytes)) return bytes;
  const stored = await deps.store.get(entry.name);
  // A name is never deleted, so a lost race always finds the winner's record.
  if (stored === undefined) return encodeErrorReply('ERR_SERVICE_UNAVAILABLE');
  const existing = decodeDirectoryRecord(stored);
  if (!existing.ok) return encodeErrorReply('ERR_SERVICE_INTERNAL');
  return bytesEqual(existing.value.identityKey, record.identityKey)
    ? stored
    : encodeErrorReply('ERR_NAME_TAKEN');
}

/**
 * DirectoryLookup -> the stored DirectoryRecord, unchanged (clients verify it), or
 * ERR_NAME_NOT_FOUND. Reserved and free names answer alike. No crypto on this path.
 */
export async function handleLookup(deps: DirectoryDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeDirectoryLookup(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const stored = await deps.store.get(req.value.name);
  return stored ?? encodeErrorReply('ERR_NAME_NOT_FOUND');
}
