import { randomBytes } from 'node:crypto';
import {
  bytesEqual,
  decodeFetchRequest,
  decodeMailboxCreate,
  decodeSessionOpen,
  decodeSessionProof,
  encodeAccepted,
  encodeErrorReply,
  encodeFetchResponse,
  encodeSessionGrant,
  generateKeyPair,
  isPublicKey,
  secureMessageVerify,
  SESSION_TOKEN_SIZE,
} from '@komrade/protocol';
import type { SorterMailboxStore } from './mailbox-store.js';

export interface MailboxDeps {
  readonly store: SorterMailboxStore;
  readonly relayName: string;
  readonly now: () => number;
  readonly sessionTtlSec: number;
  readonly proofWindowSec: number;
  readonly mailboxTtlSec: number;
}

const AUTH = encodeErrorReply('ERR_MAILBOX_AUTH');

/** A key nobody holds: proofs for missing mailboxes are verified against it, so they cost the same. */
const decoyKey = (() => {
  let k: Uint8Array | undefined;
  return () => (k ??= generateKeyPair().publicKey);
})();

/** MailboxCreate -> empty Accepted, or ERR_MAILBOX_CONFLICT when the id has another key. */
export async function handleCreate(deps: MailboxDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeMailboxCreate(data);
  if (!req.ok) return encodeErrorReply(req.code);
  if (!isPublicKey(req.value.publicKey)) return encodeErrorReply('ERR_CRYPTO_KEY_INVALID');
  const created = await deps.store.create(
    req.value.id,
    req.value.publicKey,
    deps.mailboxTtlSec * 1000,
  );
  return created ? encodeAccepted([]) : encodeErrorReply('ERR_MAILBOX_CONFLICT');
}

/**
 * SessionOpen -> SessionGrant. The proof is one Themis signature over (relay, mailbox,
 * time, nonce); it is checked once per session, not per message. A missing mailbox, a
 * wrong key, a stale time and a reused nonce all answer ERR_MAILBOX_AUTH, and a missing
 * mailbox still pays for one signature check so timing does not tell them apart.
 */
export async function handleSession(deps: MailboxDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeSessionOpen(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const stored = await deps.store.publicKey(req.value.id);
  const verified = secureMessageVerify(stored ?? decoyKey(), req.value.signedProof);
  if (stored === undefined || !verified.ok) return AUTH;
  const proof = decodeSessionProof(verified.value);
  if (!proof.ok) return AUTH;
  const p = proof.value;
  const now = deps.now();
  if (
    p.mailbox.relay !== deps.relayName ||
    !bytesEqual(p.mailbox.id, req.value.id) ||
    Math.abs(now - p.timestampMs) > deps.proofWindowSec * 1000
  )
    return AUTH;
  const token = new Uint8Array(randomBytes(SESSION_TOKEN_SIZE));
  const granted = await deps.store.openSession(req.value.id, stored, p.nonce, token, {
    nonceTtlMs: 2 * deps.proofWindowSec * 1000,
    sessionTtlMs: deps.sessionTtlSec * 1000,
    mailboxTtlMs: deps.mailboxTtlSec * 1000,
  });
  return granted ? encodeSessionGrant({ token, ttlSec: deps.sessionTtlSec }) : AUTH;
}

/** FetchRequest -> FetchResponse (oldest first); unknown session or mailbox -> ERR_MAILBOX_AUTH. */
export async function handleFetch(deps: MailboxDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeFetchRequest(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const page = await deps.store.fetch(req.value.id, req.value.token, req.value.max, deps.now());
  return page === undefined ? AUTH : encodeFetchResponse(page);
}
