import {
  checkPostage,
  decodeDirectoryLookup,
  decodeDirectoryRegister,
  decodeErrorReply,
  isErrorReply,
  MAX_DIFFICULTY,
  registrationIdOf,
  REGISTRATION_EXTRA_BITS,
  SUBJECTS,
} from '@komrade/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';
import { isRemoteLookup, remoteLookup } from './remote-lookup.js';

/** Registration postage: the mail difficulty plus a fixed surcharge, capped. */
export function registrationBits(mailBits: number): number {
  return Math.min(MAX_DIFFICULTY, mailBits + REGISTRATION_EXTRA_BITS);
}

/**
 * The directory of names, served by vouch over NATS. The operator checks what it can
 * without keys: the body's framing and, for registrations, the postage stamp at the
 * current difficulty (plus REGISTRATION_EXTRA_BITS). Proof of possession, name rules and
 * uniqueness are vouch's. Lookups carry no stamp: the directory is public.
 */
export function directoryRoutes(app: FastifyInstance, deps: OperatorDeps): void {
  app.post('/v1/directory/register', async (req, reply) => {
    const body = req.body as Uint8Array;
    const decoded = decodeDirectoryRegister(body);
    if (!decoded.ok) return sendError(reply, decoded.code);
    const id = registrationIdOf(decoded.value);
    if (!checkPostage(id, decoded.value.postage, registrationBits(deps.postage.acceptedBits)))
      return sendError(reply, 'ERR_POSTAGE_INSUFFICIENT', {
        'komrade-postage-bits': String(registrationBits(deps.postage.currentBits)),
      });
    // a registration is load like a message: it counts towards raising the difficulty
    deps.postage.accepted(1);
    return forward(reply, deps, SUBJECTS.directoryRegister, body);
  });

  app.post('/v1/directory/lookup', async (req, reply) => {
    const body = req.body as Uint8Array;
    // federation: a name on a named relay, possibly a peer (SPEC.md section 19.5)
    if (isRemoteLookup(body)) return remoteLookup(reply, deps, body);
    const decoded = decodeDirectoryLookup(body);
    if (!decoded.ok) return sendError(reply, decoded.code);
    return forward(reply, deps, SUBJECTS.directoryLookup, body);
  });
}

async function forward(
  reply: FastifyReply,
  deps: OperatorDeps,
  subject: string,
  body: Uint8Array,
): Promise<FastifyReply> {
  const answer = await deps.forward(subject, body);
  if (isErrorReply(answer)) {
    const code = decodeErrorReply(answer);
    return sendError(reply, code.ok ? code.value : 'ERR_SERVICE_INTERNAL');
  }
  return reply.code(200).type('application/octet-stream').send(Buffer.from(answer));
}
