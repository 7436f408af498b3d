import {
  AckPolicy,
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { nanos } from '@nats-io/nats-core';
import { OUTBOUND_STREAM, outboundConsumer, outboundSubject } from '@komrade/protocol';
import type { MailStreamOptions } from './mail-stream.js';

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
  const jsm = await jetstreamManager(nc);
  const config = {
    name: OUTBOUND_STREAM.name,
    subjects: [...OUTBOUND_STREAM.subjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.Memory,
    discard: DiscardPolicy.New,
    max_age: nanos(o.maxAgeSec * 1000),
    max_bytes: o.maxBytes,
    num_replicas: o.replicas,
    duplicate_window: nanos(o.duplicateWindowSec * 1000),
  };
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    try {
      await jsm.streams.add(config);
    } catch (e2) {
      if (!/already in use|exists/i.test(e2 instanceof Error ? e2.message : '')) throw e2;
    }
  }
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

function isNotFound(e: unknown): boolean {
  return e instanceof Error && /not found/i.test(e.message);
}
