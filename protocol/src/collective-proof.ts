import type { KeyPair } from './crypto/keys.js';
import { secureMessageSign, secureMessageVerify } from './crypto/secure-message.js';
import { fail, ok, type Result } from './result.js';
import {
  decodeCollectiveAction,
  encodeCollectiveAction,
  type CollectiveAction,
  type CollectiveActionType,
} from './wire/collective.js';
import {
  decodeWorldPostBody,
  encodeWorldPostBody,
  type WorldPost,
  type WorldPostBody,
} from './wire/post.js';

/** A signed collective action, ready to be stamped (postage) into a CollectiveRequest. */
export interface SignedCollectiveAction {
  readonly action: CollectiveActionType;
  readonly identityKey: Uint8Array;
  readonly signed: Uint8Array;
}

/** Signs a collective action with the acting komrade's identity key (one Themis sign). */
export function signCollectiveAction(
  identity: KeyPair,
  action: CollectiveAction,
): Result<SignedCollectiveAction> {
  const signed = secureMessageSign(identity.privateKey, encodeCollectiveAction(action));
  if (!signed.ok) return signed;
  return ok({ action: action.type, identityKey: identity.publicKey, signed: signed.value });
}

/**
 * Checks a collective request the way vouch does before acting on it: the signature is
 * valid for the key beside it (ERR_CRYPTO_SIGNATURE, ERR_CRYPTO_KEY_INVALID), the signed
 * bytes are an action (ERR_WIRE_*), and it is the action the request says (ERR_WIRE_TYPE).
 */
export function openCollectiveRequest(req: {
  readonly action: CollectiveActionType;
  readonly identityKey: Uint8Array;
  readonly signed: Uint8Array;
}): Result<CollectiveAction> {
  const verified = secureMessageVerify(req.identityKey, req.signed);
  if (!verified.ok) return verified;
  const action = decodeCollectiveAction(verified.value);
  if (!action.ok) return action;
  if (action.value.type !== req.action) return fail('ERR_WIRE_TYPE', 'action');
  return ok(action.value);
}

/** Signs a world post with its author's identity key. */
export function signWorldPost(identity: KeyPair, body: WorldPostBody): Result<WorldPost> {
  const signed = secureMessageSign(identity.privateKey, encodeWorldPostBody(body));
  if (!signed.ok) return signed;
  return ok({ authorKey: identity.publicKey, signed: signed.value });
}

/**
 * Checks a world post: the signature is the author key's (ERR_CRYPTO_SIGNATURE) and the
 * signed bytes are a WorldPostBody (ERR_WIRE_*). Freshness, lifetime and the author's
 * claimed name are the reader's checks.
 */
export function openWorldPost(post: WorldPost): Result<WorldPostBody> {
  const verified = secureMessageVerify(post.authorKey, post.signed);
  if (!verified.ok) return verified;
  return decodeWorldPostBody(verified.value);
}
