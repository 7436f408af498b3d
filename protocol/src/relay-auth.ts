import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual } from './constant-time.js';
import type { KeyPair } from './crypto/keys.js';
import { secureMessageSign, secureMessageVerify } from './crypto/secure-message.js';
import { fail, ok, type Result } from './result.js';
import { toHex } from './wire/address.js';
import {
  decodeRelayDescriptor,
  decodeRelayDescriptorRecord,
  decodeRelayMessage,
  decodeRelayStatement,
  encodeRelayDescriptor,
  encodeRelayDescriptorRecord,
  encodeRelayMessage,
  encodeRelayStatement,
  type RelayDescriptor,
  type RelayKind,
  type RelayStatement,
} from './wire/relay.js';

/** How far a relay statement's timestamp may be from the receiver's clock, either way. */
export const RELAY_CLOCK_WINDOW_MS = 5 * 60_000;

const FINGERPRINT_DOMAIN = new TextEncoder().encode('KM-RELAY-1');

/**
 * The fingerprint of a relay key, as operators write it in KOMRADE_PEERS: 64 lower-case
 * hex digits of SHA-256("KM-RELAY-1" || key).
 */
export function relayFingerprint(relayKey: Uint8Array): string {
  return toHex(sha256.create().update(FINGERPRINT_DOMAIN).update(relayKey).digest());
}

/** True when the private and public halves belong together (one sign and one verify). */
export function relayKeyPairMatches(keys: KeyPair): boolean {
  const probe = new TextEncoder().encode('KM-RELAY-KEY-CHECK');
  const signed = secureMessageSign(keys.privateKey, probe);
  if (!signed.ok) return false;
  const back = secureMessageVerify(keys.publicKey, signed.value);
  return back.ok && bytesEqual(back.value, probe);
}

/** Signs a relay's descriptor with its own key; returns RelayDescriptorRecord bytes. */
export function signRelayDescriptor(keys: KeyPair, d: RelayDescriptor): Result<Uint8Array> {
  if (!bytesEqual(d.relayKey, keys.publicKey)) return fail('ERR_PEER_AUTH');
  const signed = secureMessageSign(keys.privateKey, encodeRelayDescriptor(d));
  if (!signed.ok) return signed;
  return ok(encodeRelayDescriptorRecord({ relayKey: keys.publicKey, signed: signed.value }));
}

/**
 * Checks a descriptor record: signed by the key it names and, when given, that key has
 * the expected fingerprint. `ERR_PEER_AUTH` otherwise; malformed bytes keep their wire code.
 */
export function openRelayDescriptor(
  bytes: Uint8Array,
  expectedFingerprint?: string,
): Result<RelayDescriptor> {
  const rec = decodeRelayDescriptorRecord(bytes);
  if (!rec.ok) return rec;
  if (
    expectedFingerprint !== undefined &&
    relayFingerprint(rec.value.relayKey) !== expectedFingerprint
  )
    return fail('ERR_PEER_AUTH');
  const verified = secureMessageVerify(rec.value.relayKey, rec.value.signed);
  if (!verified.ok) return fail('ERR_PEER_AUTH');
  const d = decodeRelayDescriptor(verified.value);
  if (!d.ok) return d;
  if (!bytesEqual(d.value.relayKey, rec.value.relayKey)) return fail('ERR_PEER_AUTH');
  return d;
}

/** SHA-256 of a relay message body. */
export function relayDigest(body: Uint8Array): Uint8Array {
  return sha256(body);
}

/**
 * Builds a signed RelayMessage: a statement over SHA-256(body), signed by this relay's
 * key (one Themis sign per request or response, never per envelope).
 */
export function sealRelayMessage(
  keys: KeyPair,
  s: Omit<RelayStatement, 'digest'>,
  body: Uint8Array,
): Result<Uint8Array> {
  const statement = encodeRelayStatement({ ...s, digest: relayDigest(body) });
  const signed = secureMessageSign(keys.privateKey, statement);
  if (!signed.ok) return signed;
  return ok(encodeRelayMessage({ relayKey: keys.publicKey, signed: signed.value, body }));
}

export interface OpenRelayOptions {
  /** This relay's name: the statement must be addressed to it. */
  readonly me: string;
  /** The kind expected here (a mail route accepts only MailRequest, and so on). */
  readonly kind: RelayKind;
  readonly nowMs: number;
  /** Default RELAY_CLOCK_WINDOW_MS. */
  readonly windowMs?: number;
  /**
   * The configured peer whose key has this fingerprint, or undefined. Checked before any
   * signature work, so strangers cost one hash.
   */
  readonly peerByFingerprint: (fingerprint: string) => string | undefined;
  /** For responses: the nonce of the request they answer. */
  readonly nonce?: Uint8Array;
}

export interface OpenedRelayMessage {
  readonly statement: RelayStatement;
  /** The configured peer that signed it. */
  readonly peer: string;
  readonly body: Uint8Array;
}

/**
 * Checks a RelayMessage, in this order: it decodes; its key is a configured peer's
 * (fingerprint); the signature verifies with that key; the statement decodes, is of the
 * expected kind, comes from that same peer, is addressed to `me`, covers exactly this
 * body, and (for responses) repeats the request's nonce: any failure is `ERR_PEER_AUTH`.
 * Then the timestamp must be within the window (`ERR_PEER_STALE`). Nonce reuse by
 * requests is the caller's check (it needs shared state).
 */
export function openRelayMessage(
  bytes: Uint8Array,
  o: OpenRelayOptions,
): Result<OpenedRelayMessage> {
  const m = decodeRelayMessage(bytes);
  if (!m.ok) return m;
  const peer = o.peerByFingerprint(relayFingerprint(m.value.relayKey));
  if (peer === undefined) return fail('ERR_PEER_AUTH');
  const verified = secureMessageVerify(m.value.relayKey, m.value.signed);
  if (!verified.ok) return fail('ERR_PEER_AUTH');
  const st = decodeRelayStatement(verified.value);
  if (!st.ok) return fail('ERR_PEER_AUTH');
  const s = st.value;
  if (
    s.kind !== o.kind ||
    s.from !== peer ||
    s.to !== o.me ||
    !bytesEqual(s.digest, relayDigest(m.value.body)) ||
    (o.nonce !== undefined && !bytesEqual(s.nonce, o.nonce))
  )
    return fail('ERR_PEER_AUTH');
  if (Math.abs(o.nowMs - s.timestampMs) > (o.windowMs ?? RELAY_CLOCK_WINDOW_MS))
    return fail('ERR_PEER_STALE');
  return ok({ statement: s, peer, body: m.value.body });
}
