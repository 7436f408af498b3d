import {
  checkPostage,
  collectiveRequestIdOf,
  decodeCollectiveRequest,
  decodeRelayFanout,
  decodeRemoteCollective,
  encodeRelayFanout,
  encodeRelayMailReceipt,
  FanoutItemKind,
  MAX_DIFFICULTY,
  MessageType,
  POST_EXTRA_BITS,
  ReceiptOutcome,
  RelayKind,
  SUBJECTS,
  type DecodedEnvelope,
  type ErrorCode,
  type FanoutItem,
  type OpenedRelayMessage,
  type ReceiptEntry,
} from '@komrade/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OperatorFederation } from '../federation.js';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';
import { expiryWindow } from '../expiry-window.js';

/** The shared first steps of every relay route: authenticate, then refuse replays. */
export type AdmitRequest = (
  body: Uint8Array,
  kind: RelayKind,
) => Promise<OpenedRelayMessage | ErrorCode>;

/**
 * A collective post crossing the link is checked like forwarded mail: expiry, and for a
 * Post (a peer's komrade posting to our collective, so addressed to us) postage at the
 * federation floor plus the post surcharge. A Delivery is a post of the sending peer's
 * collective (addressed to the peer), stamped at that peer's difficulty for that peer:
 * the per-peer quota, counting every member mailbox written, is what bounds deliveries.
 */
function acceptable(
  deps: OperatorDeps,
  fed: OperatorFederation,
  peer: string,
  item: FanoutItem,
): boolean {
  const e: DecodedEnvelope = item.envelope;
  const home = item.kind === FanoutItemKind.Post ? deps.config.relayName : peer;
  const bits = Math.min(MAX_DIFFICULTY, fed.config.peerPostageBits + POST_EXTRA_BITS);
  return (
    e.to.relay === home &&
    expiryWindow(deps)(e.expiryHour) &&
    (item.kind === FanoutItemKind.Delivery || checkPostage(e.id, e.postage, bits))
  );
}

/**
 * Collectives across relays (SPEC.md section 20.9), the receiving side: collective
 * requests and queries of a peer's komrades, and collective posts in both directions.
 */
export function relayCollectiveRoutes(
  app: FastifyInstance,
  deps: OperatorDeps,
  fed: OperatorFederation,
  admit: AdmitRequest,
  refuse: (reply: FastifyReply, code: ErrorCode) => FastifyReply,
): void {
  const signed = (reply: FastifyReply, kind: RelayKind, req: OpenedRelayMessage, b: Uint8Array) => {
    const answer = fed.answer(kind, req, b);
    if (!answer.ok) return sendError(reply, 'ERR_SERVICE_INTERNAL');
    return reply.code(200).type('application/octet-stream').send(Buffer.from(answer.value));
  };

  app.post('/v1/relay/collective', async (req, reply) => {
    const request = await admit(req.body as Uint8Array, RelayKind.CollectiveRequest);
    if (typeof request === 'string') return refuse(reply, request);
    const remote = decodeRemoteCollective(request.body);
    if (!remote.ok) return refuse(reply, remote.code);
    // the origin vouch trusts is the authenticated peer, never what the body claims
    if (remote.value.relay !== request.peer) return refuse(reply, 'ERR_PEER_AUTH');
    if (!fed.quotas.lookup(request.peer, 'in')) return refuse(reply, 'ERR_PEER_QUOTA');
    const inner = remote.value.body;
    if (inner[3] === MessageType.CollectiveRequest) {
      const r = decodeCollectiveRequest(inner);
      if (!r.ok) return refuse(reply, r.code);
      const bits = fed.config.peerPostageBits;
      if (!checkPostage(collectiveRequestIdOf(r.value), r.value.postage, bits))
        return refuse(reply, 'ERR_POSTAGE_INSUFFICIENT');
    }
    // vouch's answer, or its ErrorReply, travels back signed and unchanged
    const answer = await deps.forward(SUBJECTS.collectiveRemote, request.body);
    fed.metrics?.lookups.add(1, { peer: request.peer, direction: 'in', outcome: 'answered' });
    return signed(reply, RelayKind.CollectiveAnswer, request, answer);
  });

  app.post('/v1/relay/fanout', async (req, reply) => {
    const request = await admit(req.body as Uint8Array, RelayKind.FanoutRequest);
    if (typeof request === 'string') return refuse(reply, request);
    const items = decodeRelayFanout(request.body);
    if (!items.ok) return refuse(reply, items.code);
    const peer = request.peer;
    // every member mailbox written counts as one envelope against the peer's quota
    const writes = items.value.reduce((n, it) => n + Math.max(1, it.targets.length), 0);
    if (!fed.quotas.mail(peer, writes, request.body.length)) return refuse(reply, 'ERR_PEER_QUOTA');
    const sink = deps.mail;
    if (!sink.publishFanout || !sink.publishDelivery) return refuse(reply, 'ERR_HTTP_NOT_FOUND');
    const entries: ReceiptEntry[] = [];
    const stores: Promise<void>[] = [];
    for (const it of items.value) {
      const ok = acceptable(deps, fed, peer, it);
      entries.push({
        id: it.envelope.id,
        outcome: ok ? ReceiptOutcome.Stored : ReceiptOutcome.Refused,
      });
      if (!ok) continue;
      stores.push(
        it.kind === FanoutItemKind.Post
          ? sink.publishFanout(it.envelope)
          : sink.publishDelivery(encodeRelayFanout([it]), it.envelope.id),
      );
    }
    // the receipt leaves only once JetStream holds every stored item
    await Promise.all(stores);
    const stored = stores.length;
    fed.metrics?.received.add(stored, { peer, outcome: 'stored' });
    if (stored < entries.length)
      fed.metrics?.received.add(entries.length - stored, { peer, outcome: 'refused' });
    return signed(reply, RelayKind.FanoutReceipt, request, encodeRelayMailReceipt(entries));
  });
}
