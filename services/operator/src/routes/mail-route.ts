import {
  checkPostage,
  decodeEnvelope,
  decodeEnvelopeBatch,
  encodeAccepted,
  KomradeError,
  MessageType,
  type DecodedEnvelope,
  type ErrorCode,
  type Result,
} from '@komrade/protocol';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';
import { expiryWindow } from '../expiry-window.js';

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
  const bits = deps.postage.acceptedBits;
  const inWindow = expiryWindow(deps);
  for (const e of envs) {
    // mail for a peer relay is forwarded (SPEC.md section 19.4), at least at the peer floor
    let need = bits;
    if (e.to.relay !== deps.config.relayName) {
      const fed = deps.federation;
      if (!fed?.peer(e.to.relay)) return 'ERR_RELAY_UNKNOWN';
      need = Math.max(bits, fed.config.peerPostageBits);
    }
    if (!inWindow(e.expiryHour)) return 'ERR_EXPIRY_INVALID';
    if (!checkPostage(e.id, e.postage, need)) return 'ERR_POSTAGE_INSUFFICIENT';
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
    if (!decoded.ok) {
      deps.metrics?.envelopes.add(1, { outcome: decoded.code });
      return sendError(reply, decoded.code);
    }
    const n = decoded.value.length;
    const refused = admit(deps, decoded.value);
    if (refused) {
      deps.metrics?.envelopes.add(n, { outcome: refused });
      return refused === 'ERR_POSTAGE_INSUFFICIENT'
        ? sendError(reply, refused, { 'komrade-postage-bits': String(deps.postage.currentBits) })
        : sendError(reply, refused);
    }
    const span = deps.tracer?.startSpan('operator.mail', {
      attributes: { 'komrade.envelopes': n },
    });
    try {
      await deps.mail.publish(decoded.value, span);
    } catch (e) {
      deps.metrics?.envelopes.add(n, {
        outcome: e instanceof KomradeError ? e.code : 'ERR_SERVICE_INTERNAL',
      });
      throw e;
    } finally {
      span?.end();
    }
    deps.metrics?.envelopes.add(n, { outcome: 'accepted' });
    deps.postage.accepted(n);
    return reply
      .code(202)
      .type('application/octet-stream')
      .send(Buffer.from(encodeAccepted(decoded.value.map((e) => e.id))));
  });
}
