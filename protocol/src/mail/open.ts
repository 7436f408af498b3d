import { secureMessageDecrypt, secureMessageVerify } from '../crypto/secure-message.js';
import { bytesEqual } from '../constant-time.js';
import { fail, ok, type Result } from '../result.js';
import { decodeSealedInner } from '../wire/sealed-inner.js';
import { decodeSignedBody, type SignedBody } from '../wire/signed-body.js';
import type { DecodedEnvelope } from '../wire/envelope.js';

export interface OpenedMail {
  /** The sender's identity key, proven by the inner signature. */
  readonly senderKey: Uint8Array;
  readonly body: SignedBody;
}

export interface OpenOptions {
  readonly nowMs: number;
  /** Oldest acceptable timestamp, relative to now. */
  readonly maxAgeMs: number;
  /** How far in the future a sender's clock may be. */
  readonly maxSkewMs: number;
}

/**
 * Opens an envelope with the mailbox private key and checks, in order: decryption,
 * inner framing, the sender's signature, that it was sealed for this very mailbox, and
 * the timestamp window. Sender identity and replay checks need the caller's state.
 */
export function openMail(
  env: DecodedEnvelope,
  mailboxPrivateKey: Uint8Array,
  opts: OpenOptions,
): Result<OpenedMail> {
  const plain = secureMessageDecrypt(mailboxPrivateKey, env.ephemeralKey, env.ciphertext);
  if (!plain.ok) return plain;
  const inner = decodeSealedInner(plain.value);
  if (!inner.ok) return inner;
  const verified = secureMessageVerify(inner.value.senderKey, inner.value.signed);
  if (!verified.ok) return verified;
  const body = decodeSignedBody(verified.value);
  if (!body.ok) return body;
  const b = body.value;
  if (b.to.relay !== env.to.relay || !bytesEqual(b.to.id, env.to.id))
    return fail('ERR_SEAL_WRONG_MAILBOX');
  if (b.timestampMs < opts.nowMs - opts.maxAgeMs || b.timestampMs > opts.nowMs + opts.maxSkewMs)
    return fail('ERR_SEAL_STALE');
  return ok({ senderKey: inner.value.senderKey, body: b });
}
