import {
  checkPostage,
  decodeEnvelope,
  decodeEnvelopeBatch,
  encodeAccepted,
  MessageType,
  type DecodedEnvelope,
  type ErrorCode,
  type Result,
} from '@komrade/protocol';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';

/** Accepts a single Envelope or an EnvelopeBatch. */
function decodeBody(body: Uint8Array): Result<DecodedEnvelope[]> {
  if (body.length >= 4 && body[3] === MessageType.Envelope) {
    const one = decodeEnvelope(body);
    return one.ok ? { ok: true, value: [one.value] } : one;
  }
  return decodeEnvelopeBatch(body);
}

/** Checks what the operator can check without any key: relay, expiry, postage. */
export function admit(deps: OperatorDeps, envs: readonly DecodedEnvelope[]): ErrorCode | undefined {
  const now = deps.now();
  const bits = deps.postage.acceptedBits;
  const latestHour = Math.floor((now + deps.config.mailMaxTtlSec * 1000) / 3_600_000);
  const nowHour = Math.floor(now / 3_600_000);
  for (const e of envs) {
    if (e.to.relay !== deps.config.relayName) return 'ERR_RELAY_UNKNOWN';
    if (e.expiryHour < nowHour || e.expiryHour > latestHour) return 'ERR_EXPIRY_INVALID';
    if (!checkPostage(e.id, e.postage, bits)) return 'ERR_POSTAGE_INSUFFICIENT';
  }
  return undefined;
}

/**
 * POST /v1/mail: one envelope or a batch. All are checked before any is stored, so a
 * 4xx means none was accepted; 202 means every one is in JetStream. Whether a mailbox
 * exists is never checked here: a known and an unknown mailbox get the same answer.
 */
export function mailRoute(app: FastifyInstance, deps: OperatorDeps): void {
  app.post('/v1/mail', async (req, reply) => {
    const decoded = decodeBody(req.body as Uint8Array);
    if (!decoded.ok) return sendError(reply, decoded.code);
    const refused = admit(deps, decoded.value);
    if (refused === 'ERR_POSTAGE_INSUFFICIENT')
      return sendError(reply, refused, {
        'komrade-postage-bits': String(deps.postage.currentBits),
      });
    if (refused) return sendError(reply, refused);
    await deps.mail.publish(decoded.value);
    deps.postage.accepted(decoded.value.length);
    return reply
      .code(202)
      .type('application/octet-stream')
      .send(Buffer.from(encodeAccepted(decoded.value.map((e) => e.id))));
  });
}
