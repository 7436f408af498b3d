import {
  checkPostage,
  collectiveRequestIdOf,
  decodeCollectiveRequest,
  decodeCollectiveShow,
  decodeEnvelope,
  decodeErrorReply,
  decodeVouchCountQuery,
  decodeWorldListRequest,
  decodeWorldPublish,
  encodeAccepted,
  encodeWorldPost,
  isErrorReply,
  MAX_DIFFICULTY,
  MessageType,
  POST_EXTRA_BITS,
  SUBJECTS,
  worldPostIdOf,
  type Result,
} from '@komrade/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';
import { expiryWindow } from '../expiry-window.js';
import { registrationBits } from './directory-routes.js';
import { isRemoteCollective, remoteCollective } from './remote-collective.js';

/** Postage for a world post or a collective post: the mail difficulty plus a surcharge. */
export function postBits(mailBits: number): number {
  return Math.min(MAX_DIFFICULTY, mailBits + POST_EXTRA_BITS);
}

/** A 402 that tells the client how many bits to mint now. */
function needPostage(reply: FastifyReply, bits: number): FastifyReply {
  return sendError(reply, 'ERR_POSTAGE_INSUFFICIENT', { 'komrade-postage-bits': String(bits) });
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

/** Public queries: checked locally, forwarded unchanged, no postage (public data). */
const QUERIES: readonly {
  path: string;
  subject: string;
  check: (b: Uint8Array) => Result<unknown>;
  /** The type a RemoteCollective may carry to this route (a collective on a peer relay). */
  remote?: number;
}[] = [
  {
    path: '/v1/collectives/show',
    subject: SUBJECTS.collectiveShow,
    check: decodeCollectiveShow,
    remote: MessageType.CollectiveShow,
  },
  {
    path: '/v1/vouches/count',
    subject: SUBJECTS.collectiveCount,
    check: decodeVouchCountQuery,
    remote: MessageType.VouchCountQuery,
  },
  { path: '/v1/world/list', subject: SUBJECTS.worldList, check: decodeWorldListRequest },
];

/**
 * Collectives (served by vouch), collective posts (the fan-out address, through the mail
 * stream) and world posts (served by the sorter). The operator checks what it can without
 * keys: framing and postage. Signatures, membership and quorum are vouch's; a world
 * post's signature and lifetime are the sorter's (SPEC sections 10, 20 and 21).
 */
export function collectiveRoutes(app: FastifyInstance, deps: OperatorDeps): void {
  const collectiveRequest = async (reply: FastifyReply, body: Uint8Array) => {
    const decoded = decodeCollectiveRequest(body);
    if (!decoded.ok) return sendError(reply, decoded.code);
    // founding a collective claims a name for good: priced like registering one
    const creates = decoded.value.action === MessageType.CollectiveCreate;
    const bits = (b: number): number => (creates ? registrationBits(b) : b);
    if (
      !checkPostage(
        collectiveRequestIdOf(decoded.value),
        decoded.value.postage,
        bits(deps.postage.acceptedBits),
      )
    )
      return needPostage(reply, bits(deps.postage.currentBits));
    deps.postage.accepted(1);
    return forward(reply, deps, SUBJECTS.collectiveRequest, body);
  };

  app.post('/v1/collectives', async (req, reply) => {
    const body = req.body as Uint8Array;
    if (isRemoteCollective(body))
      return remoteCollective(reply, deps, body, MessageType.CollectiveRequest, (b) =>
        collectiveRequest(reply, b),
      );
    return collectiveRequest(reply, body);
  });

  for (const q of QUERIES) {
    const query = async (reply: FastifyReply, body: Uint8Array) => {
      const checked = q.check(body);
      if (!checked.ok) return sendError(reply, checked.code);
      return forward(reply, deps, q.subject, body);
    };
    app.post(q.path, async (req, reply) => {
      const body = req.body as Uint8Array;
      if (q.remote !== undefined && isRemoteCollective(body))
        return remoteCollective(reply, deps, body, q.remote, (b) => query(reply, b));
      return query(reply, body);
    });
  }

  app.post('/v1/fanout', async (req, reply) => {
    const sink = deps.mail;
    const decoded = decodeEnvelope(req.body as Uint8Array);
    if (!decoded.ok) return sendError(reply, decoded.code);
    const env = decoded.value;
    // relay and expiry as for mail (SPEC 4.1); postage with the fan-out surcharge below.
    // A collective of a peer relay: the sorter forwards the post there (SPEC 20.9).
    if (env.to.relay !== deps.config.relayName && !deps.federation?.peer(env.to.relay))
      return sendError(reply, 'ERR_RELAY_UNKNOWN');
    if (!expiryWindow(deps)(env.expiryHour)) return sendError(reply, 'ERR_EXPIRY_INVALID');
    if (!checkPostage(env.id, env.postage, postBits(deps.postage.acceptedBits)))
      return needPostage(reply, postBits(deps.postage.currentBits));
    if (!sink.publishFanout) return sendError(reply, 'ERR_HTTP_NOT_FOUND');
    const span = deps.tracer?.startSpan('operator.fanout');
    try {
      await sink.publishFanout(env, span);
    } finally {
      span?.end();
    }
    deps.postage.accepted(1);
    return reply
      .code(202)
      .type('application/octet-stream')
      .send(Buffer.from(encodeAccepted([env.id])));
  });

  app.post('/v1/world/publish', async (req, reply) => {
    const decoded = decodeWorldPublish(req.body as Uint8Array);
    if (!decoded.ok) return sendError(reply, decoded.code);
    const { postage, post } = decoded.value;
    if (!checkPostage(worldPostIdOf(post), postage, postBits(deps.postage.acceptedBits)))
      return needPostage(reply, postBits(deps.postage.currentBits));
    deps.postage.accepted(1);
    return forward(reply, deps, SUBJECTS.worldPublish, encodeWorldPost(post));
  });
}
