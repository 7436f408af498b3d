import {
  decodeAckRequest,
  decodeErrorReply,
  decodeFetchRequest,
  decodeMailboxCreate,
  decodeSessionOpen,
  isErrorReply,
  SUBJECTS,
  type Result,
} from '@komrade/protocol';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-errors.js';
import type { OperatorDeps } from '../operator-deps.js';

/** Each mailbox endpoint: validate the body locally, then forward it unchanged. */
const ENDPOINTS: readonly {
  path: string;
  subject: string;
  check: (b: Uint8Array) => Result<unknown>;
}[] = [
  { path: '/v1/mailboxes', subject: SUBJECTS.mailboxCreate, check: decodeMailboxCreate },
  { path: '/v1/sessions', subject: SUBJECTS.mailboxSession, check: decodeSessionOpen },
  { path: '/v1/fetch', subject: SUBJECTS.mailboxFetch, check: decodeFetchRequest },
  { path: '/v1/ack', subject: SUBJECTS.mailboxAck, check: decodeAckRequest },
];

/**
 * Mailbox create, session, fetch and ack. The operator holds no mailbox state: the
 * sorter (create, session, fetch) and purge (ack) answer over NATS, and their typed
 * failures are passed through with the registry's HTTP status.
 */
export function mailboxRoutes(app: FastifyInstance, deps: OperatorDeps): void {
  for (const ep of ENDPOINTS) {
    app.post(ep.path, async (req, reply) => {
      const body = req.body as Uint8Array;
      const checked = ep.check(body);
      if (!checked.ok) return sendError(reply, checked.code);
      const answer = await deps.forward(ep.subject, body);
      if (isErrorReply(answer)) {
        const code = decodeErrorReply(answer);
        return sendError(reply, code.ok ? code.value : 'ERR_SERVICE_INTERNAL');
      }
      return reply.code(200).type('application/octet-stream').send(Buffer.from(answer));
    });
  }
}
