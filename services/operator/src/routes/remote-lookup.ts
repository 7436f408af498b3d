import {
  decodeDirectoryRecord,
  decodeErrorReply,
  decodeRemoteLookup,
  encodeDirectoryLookup,
  isErrorReply,
  MessageType,
  RelayKind,
  SUBJECTS,
} from '@komrade/protocol';
import type { FastifyReply } from 'fastify';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';

/** True when a lookup body is a RemoteLookup (a name on a named relay). */
export function isRemoteLookup(body: Uint8Array): boolean {
  return body.length >= 4 && body[3] === MessageType.RemoteLookup;
}

/**
 * A client asks its home relay for a name on some relay (SPEC.md section 19.5). This
 * relay's own names go to vouch; a peer's are asked over the authenticated link, and the
 * peer's signed answer is checked before its record (still to be verified by the client,
 * which trusts no relay) is handed on. The client keeps one Tor connection: to us.
 */
export async function remoteLookup(
  reply: FastifyReply,
  deps: OperatorDeps,
  body: Uint8Array,
): Promise<FastifyReply> {
  const decoded = decodeRemoteLookup(body);
  if (!decoded.ok) return sendError(reply, decoded.code);
  const lookup = encodeDirectoryLookup({ name: decoded.value.name });
  let answer: Uint8Array;
  if (decoded.value.relay === deps.config.relayName) {
    answer = await deps.forward(SUBJECTS.directoryLookup, lookup);
  } else {
    const fed = deps.federation;
    const peer = fed?.peer(decoded.value.relay);
    if (!fed || !peer) return sendError(reply, 'ERR_RELAY_UNKNOWN');
    if (!fed.quotas.lookup(peer.name, 'out')) return sendError(reply, 'ERR_PEER_QUOTA');
    const res = await fed.client.send(peer, RelayKind.LookupRequest, lookup);
    fed.metrics?.lookups.add(1, {
      peer: peer.name,
      direction: 'out',
      outcome: res.ok ? 'answered' : res.code,
    });
    if (!res.ok) return sendError(reply, res.code);
    answer = res.value;
  }
  if (isErrorReply(answer)) {
    const code = decodeErrorReply(answer);
    return sendError(reply, code.ok ? code.value : 'ERR_SERVICE_INTERNAL');
  }
  if (!decodeDirectoryRecord(answer).ok) return sendError(reply, 'ERR_PEER_UNREACHABLE');
  return reply.code(200).type('application/octet-stream').send(Buffer.from(answer));
}
