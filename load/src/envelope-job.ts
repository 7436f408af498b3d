import {
  ContentKind,
  encodeEnvelope,
  envelopeIdOf,
  generateKeyPair,
  mintPostage,
  PLAINTEXT_BUCKETS,
  POSTAGE_SIZE,
  PUBLIC_KEY_SIZE,
  SEALED_OVERHEAD,
  sealMail,
  withPostage,
  type KeyPair,
} from '@komrade/protocol';
import { randomBytes } from 'node:crypto';

/** A mailbox an envelope may be addressed to (what a sender knows of it). */
export interface JobTarget {
  readonly id: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** One unit of envelope-making work, run in a worker thread (see envelope-pool.ts). */
export interface EnvelopeJob {
  readonly relay: string;
  readonly targets: readonly JobTarget[];
  /** Envelope i of the whole set goes to targets[(first + i) % targets.length]. */
  readonly first: number;
  readonly count: number;
  /** How many of `count` are really sealed with Themis; the rest are synthetic. */
  readonly sealed: number;
  readonly postageBits: number;
  readonly ttlSec: number;
  readonly nowMs: number;
}

/**
 * Envelopes packed for cheap transfer between threads: `bytes` holds every envelope
 * back to back (`offsets` has count + 1 entries), `ids` 16 bytes per envelope,
 * `targets` the index of each one's mailbox.
 */
export interface PackedEnvelopes {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
  readonly ids: Uint8Array;
  readonly targets: Uint32Array;
  readonly sealed: number;
}

/** Plaintext that pads into the smallest (1 KiB) bucket with the sealed-inner overhead. */
const CONTENT_BYTES = 512;

/**
 * Makes envelopes: `sealed` real ones (Themis sign + ephemeral-key encrypt, exactly what
 * the SDK sends), then synthetic ones: same wire structure and sizes (a random 45-byte
 * "ephemeral key" and a random ciphertext of the 1 KiB bucket size). The relay never
 * decrypts, so it does the same work for both; only a recipient could tell them apart.
 */
export function runEnvelopeJob(job: EnvelopeJob, sender: KeyPair | undefined): PackedEnvelopes {
  const expiryHour = Math.floor((job.nowMs + job.ttlSec * 1000) / 3_600_000) - 1;
  const relayLength = job.relay.length;
  const parts: Uint8Array[] = [];
  const ids = new Uint8Array(job.count * 16);
  const targets = new Uint32Array(job.count);
  const ctSize = (PLAINTEXT_BUCKETS[0] as number) + SEALED_OVERHEAD;
  for (let i = 0; i < job.count; i++) {
    const t = (job.first + i) % job.targets.length;
    const target = job.targets[t] as JobTarget;
    const to = { relay: job.relay, id: target.id };
    let bytes: Uint8Array;
    if (i < job.sealed) {
      if (!sender) throw new Error('sealing needs a sender key');
      const r = sealMail({
        to,
        mailboxKey: target.publicKey,
        sender,
        kind: ContentKind.Text,
        content: randomBytes(CONTENT_BYTES),
        expiryHour,
        timestampMs: job.nowMs,
        messageId: randomBytes(16),
      });
      if (!r.ok) throw new Error(`sealMail failed: ${r.code}`);
      bytes = r.value.bytes;
    } else {
      bytes = encodeEnvelope({
        to,
        expiryHour,
        postage: new Uint8Array(POSTAGE_SIZE),
        ephemeralKey: randomBytes(PUBLIC_KEY_SIZE),
        ciphertext: randomBytes(ctSize),
      });
    }
    const id = envelopeIdOf(bytes, relayLength);
    if (job.postageBits > 0)
      bytes = withPostage(bytes, relayLength, mintPostage(id, job.postageBits));
    parts.push(bytes);
    ids.set(id, i * 16);
    targets[i] = t;
  }
  const offsets = new Uint32Array(job.count + 1);
  let total = 0;
  parts.forEach((p, i) => {
    offsets[i] = total;
    total += p.length;
  });
  offsets[job.count] = total;
  const all = new Uint8Array(total);
  parts.forEach((p, i) => {
    all.set(p, offsets[i]);
  });
  return { bytes: all, offsets, ids, targets, sealed: job.sealed };
}

/** A fresh sender identity for a thread that seals. */
export function newSender(): KeyPair {
  return generateKeyPair();
}
