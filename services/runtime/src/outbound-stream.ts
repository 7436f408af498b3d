import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { nanos } from '@nats-io/nats-core';
import { OUTBOUND_STREAM, outboundConsumer, outboundSubject } from '@komrade/protocol';
import { ensureMemoryWorkQueue, isNotFound, type MailStreamOptions } from './mail-stream.js';

/**
 * Creates or updates the federation outbound stream (SPEC.md section 19.4): like the mail
 * stream, work-queue retention, memory storage (mail never touches a disk), replicated when
 * clustered, max age = the mail lifetime, new writes refused when full. One subject per
 * peer, so each peer's forwarder consumer sees only its own mail.
 */
export async function ensureOutboundStream(
  nc: NatsConnection,
  o: MailStreamOptions,
): Promise<void> {
  await ensureMemoryWorkQueue(nc, OUTBOUND_STREAM.name, OUTBOUND_STREAM.subjects, o);
}

/**
 * The forwarder's durable pull consumer for one peer (filtered on its subject). Unacked
 * mail is redelivered after `ackWaitSec`; there is no delivery limit: mail waits for the
 * peer until it expires.
 */
export async function ensureOutboundConsumer(
  nc: NatsConnection,
  peer: string,
  ackWaitSec: number,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const name = outboundConsumer(peer);
  try {
    await jsm.consumers.info(OUTBOUND_STREAM.name, name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    try {
      await jsm.consumers.add(OUTBOUND_STREAM.name, {
        durable_name: name,
        filter_subject: outboundSubject(peer),
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ackWaitSec * 1000),
        max_ack_pending: 4096,
      });
    } catch (e2) {
      if (!/already in use|exists/i.test(e2 instanceof Error ? e2.message : '')) throw e2;
    }
  }
}
