import { generateKeyPair, type KeyPair } from '../crypto/keys.js';
import { secureMessageEncrypt, secureMessageSign } from '../crypto/secure-message.js';
import { fail, ok, type Result } from '../result.js';
import type { MailboxAddress } from '../wire/address.js';
import { encodeEnvelope, envelopeIdOf, POSTAGE_SIZE } from '../wire/envelope.js';
import { MAX_PLAINTEXT } from '../wire/padding.js';
import { encodeSealedInner } from '../wire/sealed-inner.js';
import { encodeSignedBody, type ContentKind } from '../wire/signed-body.js';

export interface SealInput {
  readonly to: MailboxAddress;
  /** The recipient mailbox's public key. */
  readonly mailboxKey: Uint8Array;
  /** The sender's identity key pair; its public half travels only inside the ciphertext. */
  readonly sender: KeyPair;
  readonly kind: ContentKind;
  readonly content: Uint8Array;
  readonly expiryHour: number;
  readonly timestampMs: number;
  readonly messageId: Uint8Array;
}

export interface Sealed {
  /** Encoded envelope with an all-zero postage field; stamp it before sending. */
  readonly bytes: Uint8Array;
  readonly id: Uint8Array;
  readonly relayLength: number;
}

/**
 * Seals content for a mailbox: sign (recipient, time, id, content) with the sender's
 * identity key, put the sender key and signature inside, pad to a bucket, and encrypt
 * with a fresh ephemeral key so the operator cannot tell who sent it.
 */
export function sealMail(input: SealInput): Result<Sealed> {
  // Too-large content is an expected outcome, not a bug: answer it before the body encoder throws.
  if (input.content.length > MAX_PLAINTEXT) return fail('ERR_SEAL_TOO_LARGE');
  const body = encodeSignedBody({
    to: input.to,
    timestampMs: input.timestampMs,
    messageId: input.messageId,
    kind: input.kind,
    content: input.content,
  });
  const signed = secureMessageSign(input.sender.privateKey, body);
  if (!signed.ok) return signed;
  const inner = encodeSealedInner({ senderKey: input.sender.publicKey, signed: signed.value });
  if (inner === undefined) return fail('ERR_SEAL_TOO_LARGE');
  const eph = generateKeyPair();
  const ct = secureMessageEncrypt(eph.privateKey, input.mailboxKey, inner);
  if (!ct.ok) return ct;
  const bytes = encodeEnvelope({
    to: input.to,
    expiryHour: input.expiryHour,
    postage: new Uint8Array(POSTAGE_SIZE),
    ephemeralKey: eph.publicKey,
    ciphertext: ct.value,
  });
  const relayLength = input.to.relay.length;
  return ok({ bytes, id: envelopeIdOf(bytes, relayLength), relayLength });
}
