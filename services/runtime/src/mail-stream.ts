import {
  AckPolicy,
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { nanos } from '@nats-io/nats-core';
import { MAIL_CONSUMER, STREAMS } from '@komrade/protocol';

export interface MailStreamOptions {
  /** Longest a message may wait for its recipient. */
  readonly maxAgeSec: number;
  readonly replicas: number;
  readonly maxBytes: number;
  /** Window in which a re-sent envelope id is dropped by JetStream itself. */
  readonly duplicateWindowSec: number;
}

/**
 * Creates or updates the mail stream: work-queue retention (an acked message is gone),
 * memory storage (mail never touches disk), bounded size with new writes refused when
 * full (the operator answers 503 and nothing accepted is dropped).
 */
export async function ensureMailStream(nc: NatsConnection, o: MailStreamOptions): Promise<void> {
  await ensureMemoryWorkQueue(nc, STREAMS.mail.name, STREAMS.mail.subjects, o);
}

/**
 * Creates or updates a stream that holds mail: work-queue retention (an acked message is
 * gone), memory storage (mail never touches a disk), replicated when clustered, max age =
 * the mail lifetime, new writes refused when full. Safe to call from every instance at once.
 */
export async function ensureMemoryWorkQueue(
  nc: NatsConnection,
  name: string,
  subjects: readonly string[],
  o: MailStreamOptions,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name,
    subjects: [...subjects],
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
      // another instance created it meanwhile
      if (!/already in use|exists/i.test(e2 instanceof Error ? e2.message : '')) throw e2;
    }
  }
}

/** Creates the sorter's durable pull consumer if missing. */
export async function ensureMailConsumer(nc: NatsConnection, ackWaitSec: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.consumers.info(STREAMS.mail.name, MAIL_CONSUMER);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await jsm.consumers.add(STREAMS.mail.name, {
      durable_name: MAIL_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitSec * 1000),
      max_ack_pending: 4096,
    });
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof Error && /not found/i.test(e.message);
}
