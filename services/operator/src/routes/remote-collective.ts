import {
  checkPostage,
  collectiveRequestIdOf,
  decodeCollectiveRequest,
  decodeCollectiveResult,
  decodeCollectiveView,
  decodeErrorReply,
  decodeRemoteCollective,
  decodeVouchCount,
  encodeRemoteCollective,
  isErrorReply,
  MessageType,
  RelayKind,
  type Result,
} from '@komrade/protocol';
import type { FastifyReply } from 'fastify';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';

/** True when a body is a RemoteCollective (a collective request or query for some relay). */
export function isRemoteCollective(body: Uint8Array): boolean {
  return body.length >= 4 && body[3] === MessageType.RemoteCollective;
}

/** What a peer must answer for each request type, besides an ErrorReply. */
const ANSWERS: Readonly<Record<number, (b: Uint8Array) => Result<unknown>>> = {
  [MessageType.CollectiveRequest]: decodeCollectiveResult,
  [MessageType.CollectiveShow]: decodeCollectiveView,
  [MessageType.VouchCountQuery]: decodeVouchCount,
};

/**
 * A client asks its home relay about a collective on some relay (SPEC.md section 20.9):
 * `inner` is the request type the route serves. This relay's own collectives are served
 * by `local`; a peer's are asked over the authenticated link, naming this relay as the
 * origin (so the peer's vouch accepts only mailboxes here for a join), and the peer's
 * signed answer is handed on once it decodes. Collective requests carry postage at this
 * relay's mail difficulty, checked here, and at the peer's federation floor, checked there.
 * The client keeps one Tor connection: to us.
 */
export async function remoteCollective(
  reply: FastifyReply,
  deps: OperatorDeps,
  body: Uint8Array,
  inner: number,
  local: (body: Uint8Array) => Promise<FastifyReply>,
): Promise<FastifyReply> {
  const decoded = decodeRemoteCollective(body);
  if (!decoded.ok) return sendError(reply, decoded.code);
  const { relay, body: request } = decoded.value;
  if (request[3] !== inner) return sendError(reply, 'ERR_WIRE_TYPE');
  if (relay === deps.config.relayName) return local(request);
  const fed = deps.federation;
  const peer = fed?.peer(relay);
  if (!fed || !peer) return sendError(reply, 'ERR_RELAY_UNKNOWN');
  if (inner === MessageType.CollectiveRequest) {
    const req = decodeCollectiveRequest(request);
    if (!req.ok) return sendError(reply, req.code);
    if (
      !checkPostage(collectiveRequestIdOf(req.value), req.value.postage, deps.postage.acceptedBits)
    )
      return sendError(reply, 'ERR_POSTAGE_INSUFFICIENT', {
        'komrade-postage-bits': String(deps.postage.currentBits),
      });
    deps.postage.accepted(1);
  }
  if (!fed.quotas.lookup(peer.name, 'out')) return sendError(reply, 'ERR_PEER_QUOTA');
  const res = await fed.client.send(
    peer,
    RelayKind.CollectiveRequest,
    encodeRemoteCollective({ relay: deps.config.relayName, body: request }),
  );
  fed.metrics?.lookups.add(1, {
    peer: peer.name,
    direction: 'out',
    outcome: res.ok ? 'answered' : res.code,
  });
  if (!res.ok) return sendError(reply, res.code);
  const answer = res.value;
  if (isErrorReply(answer)) {
    const code = decodeErrorReply(answer);
    return sendError(reply, code.ok ? code.value : 'ERR_PEER_UNREACHABLE');
  }
  if (!ANSWERS[inner]?.(answer).ok) return sendError(reply, 'ERR_PEER_UNREACHABLE');
  return reply.code(200).type('application/octet-stream').send(Buffer.from(answer));
}
