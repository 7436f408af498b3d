import { decodeAckRequest, encodeAckResponse, encodeErrorReply } from '@komrade/protocol';
import type { PurgeMetrics } from './purge-metrics.js';
import type { PurgeStore } from './purge-store.js';

/**
 * AckRequest -> AckResponse. Mail is deleted here and only here, after the recipient
 * says it has it; an unknown session or mailbox answers ERR_MAILBOX_AUTH.
 */
export async function handleAck(
  store: PurgeStore,
  data: Uint8Array,
  metrics?: PurgeMetrics,
): Promise<Uint8Array> {
  const req = decodeAckRequest(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const deleted = await store.ack(req.value.id, req.value.token, req.value.ids);
  if (deleted === undefined) return encodeErrorReply('ERR_MAILBOX_AUTH');
  metrics?.acked.add(deleted);
  return encodeAckResponse(deleted);
}
