import {
  checkPostage,
  decodeDirectoryLookup,
  decodeEnvelopeBatch,
  encodeRelayMailReceipt,
  ReceiptOutcome,
  RelayKind,
  SUBJECTS,
  type DecodedEnvelope,
  type ErrorCode,
  type OpenedRelayMessage,
  type ReceiptEntry,
} from '@komrade/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OperatorFederation } from '../federation.js';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';
import { expiryWindow } from '../expiry-window.js';
import { relayCollectiveRoutes } from './relay-collective-routes.js';

/** A forwarded envelope this relay will store: its own relay, a valid expiry, the peer postage floor. */
function acceptable(deps: OperatorDeps, fed: OperatorFederation, e: DecodedEnvelope): boolean {
  return (
    e.to.relay === deps.config.relayName &&
    expiryWindow(deps)(e.expiryHour) &&
    checkPostage(e.id, e.postage, fed.config.peerPostageBits)
  );
}

/**
 * The relay side of federation (SPEC.md section 19): the signed descriptor, mail from
 * peers, directory lookups from peers, and collectives across relays (section 20.9). Every request is authenticated with the
 * peer's configured key and checked for replay and quota before anything else is read;
 * answers are signed with this relay's key. Without a relay key these routes are 404.
 */
export function relayRoutes(app: FastifyInstance, deps: OperatorDeps): void {
  const fed = deps.federation;
  if (!fed) return;

  app.get('/v1/relay/descriptor', async (_req, reply) =>
    reply.code(200).type('application/octet-stream').send(Buffer.from(fed.descriptor)),
  );

  /** Authenticate, then refuse replays: the shared first steps of both routes. */
  const admitRequest = async (
    body: Uint8Array,
    kind: RelayKind,
  ): Promise<OpenedRelayMessage | ErrorCode> => {
    const opened = fed.open(body, kind);
    if (!opened.ok) return opened.code;
    if (!(await fed.nonces.claim(opened.value.statement.nonce))) return 'ERR_PEER_REPLAY';
    return opened.value;
  };

  const refuse = (reply: FastifyReply, code: ErrorCode): FastifyReply => {
    fed.metrics?.refusals.add(1, { code });
    return sendError(reply, code);
  };

  app.post('/v1/relay/mail', async (req, reply) => {
    const body = req.body as Uint8Array;
    const request = await admitRequest(body, RelayKind.MailRequest);
    if (typeof request === 'string') return refuse(reply, request);
    const batch = decodeEnvelopeBatch(request.body);
    if (!batch.ok) return refuse(reply, batch.code);
    if (!fed.quotas.mail(request.peer, batch.value.length, request.body.length))
      return refuse(reply, 'ERR_PEER_QUOTA');
    const entries: ReceiptEntry[] = [];
    const good: DecodedEnvelope[] = [];
    for (const e of batch.value) {
      const ok = acceptable(deps, fed, e);
      entries.push({ id: e.id, outcome: ok ? ReceiptOutcome.Stored : ReceiptOutcome.Refused });
      if (ok) good.push(e);
    }
    // the receipt leaves only once JetStream holds every stored envelope (dedupe by id)
    if (good.length > 0) await deps.mail.publish(good);
    const peer = request.peer;
    fed.metrics?.received.add(good.length, { peer, outcome: 'stored' });
    if (good.length < entries.length)
      fed.metrics?.received.add(entries.length - good.length, { peer, outcome: 'refused' });
    const answer = fed.answer(RelayKind.MailReceipt, request, encodeRelayMailReceipt(entries));
    if (!answer.ok) return sendError(reply, 'ERR_SERVICE_INTERNAL');
    return reply.code(200).type('application/octet-stream').send(Buffer.from(answer.value));
  });

  relayCollectiveRoutes(app, deps, fed, admitRequest, refuse);

  app.post('/v1/relay/lookup', async (req, reply) => {
    const body = req.body as Uint8Array;
    const request = await admitRequest(body, RelayKind.LookupRequest);
    if (typeof request === 'string') return refuse(reply, request);
    const lookup = decodeDirectoryLookup(request.body);
    if (!lookup.ok) return refuse(reply, lookup.code);
    if (!fed.quotas.lookup(request.peer, 'in')) return refuse(reply, 'ERR_PEER_QUOTA');
    // vouch's answer, record or ErrorReply, travels back signed and unchanged
    const found = await deps.forward(SUBJECTS.directoryLookup, request.body);
    fed.metrics?.lookups.add(1, { peer: request.peer, direction: 'in', outcome: 'answered' });
    const answer = fed.answer(RelayKind.LookupAnswer, request, found);
    if (!answer.ok) return sendError(reply, 'ERR_SERVICE_INTERNAL');
    return reply.code(200).type('application/octet-stream').send(Buffer.from(answer.value));
  });
}
