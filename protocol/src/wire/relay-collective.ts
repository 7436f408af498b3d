import type { Result } from '../result.js';
import { MAILBOX_ID_SIZE, PUBLIC_KEY_SIZE, isRelayName, readRelay } from './address.js';
import { MAX_COLLECTIVE_MEMBERS, MAX_SIGNED_ACTION, type FanoutTarget } from './collective.js';
import { decodeWith } from './decode.js';
import { decodeEnvelope, type DecodedEnvelope } from './envelope.js';
import { MAX_BATCH, MAX_ENVELOPE_BYTES } from './envelope-batch.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/*
 * Collectives across relays (SPEC.md section 20.9): a komrade of one relay joins, vouches
 * in and posts to a collective that lives on a peer relay, through its home relay only.
 */

/** Largest request a RemoteCollective carries: a CollectiveRequest with the largest action. */
export const MAX_REMOTE_COLLECTIVE_BODY = 4 + 1 + 46 + 8 + 2 + MAX_SIGNED_ACTION;

/** Message types a RemoteCollective may carry. */
const REMOTE_INNER: ReadonlySet<number> = new Set([
  MessageType.CollectiveRequest,
  MessageType.CollectiveShow,
  MessageType.VouchCountQuery,
]);

/** A collective request or query for a collective on another relay (or from one). */
export interface RemoteCollective {
  /**
   * Client -> home operator: the relay the collective lives on. Operator -> vouch (subject
   * `komrade.v1.collective.remote`): the peer relay the request came from.
   */
  readonly relay: string;
  /** A CollectiveRequest, CollectiveShow or VouchCountQuery, unchanged. */
  readonly body: Uint8Array;
}

/*
 * RemoteCollective (type 0x56):
 * +--------+-------+--------------------------------------------+
 * | header | relay | body (u16 len + bytes, 5-MAX_REMOTE_COLLECTIVE_BODY) |
 * +--------+-------+--------------------------------------------+
 * body: a CollectiveRequest (0x30), CollectiveShow (0x36) or VouchCountQuery (0x39),
 * recognised by its type byte (ERR_WIRE_TYPE otherwise); decoded by whoever serves it.
 */
export function encodeRemoteCollective(m: RemoteCollective): Uint8Array {
  if (!isRelayName(m.relay)) throw new RangeError('invalid relay name');
  if (m.body.length < 5 || m.body.length > MAX_REMOTE_COLLECTIVE_BODY)
    throw new RangeError('remote collective body size');
  if (!REMOTE_INNER.has(m.body[3] ?? -1)) throw new RangeError('remote collective body type');
  const w = new Writer(8 + m.relay.length + m.body.length);
  writeHeader(w, MessageType.RemoteCollective);
  w.bytesU8(new TextEncoder().encode(m.relay)).bytesU16(m.body);
  return w.finish();
}

export function decodeRemoteCollective(bytes: Uint8Array): Result<RemoteCollective> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RemoteCollective);
    const relay = readRelay(r);
    const body = r.bytesU16(5, MAX_REMOTE_COLLECTIVE_BODY, 'body');
    if (!REMOTE_INNER.has(body[3] ?? -1)) throw new WireError('ERR_WIRE_TYPE', 'body');
    return { relay, body };
  });
}

/** What a RelayFanout item asks of the receiving relay. */
export const FanoutItemKind = Object.freeze({
  /** A member of ours posted to your collective: fan it out (to your fan-out address). */
  Post: 0x01,
  /** Your collective's post, for members of yours: store it in these collective mailboxes. */
  Delivery: 0x02,
});
export type FanoutItemKind = (typeof FanoutItemKind)[keyof typeof FanoutItemKind];

/** One collective post crossing a relay link. */
export interface FanoutItem {
  readonly kind: FanoutItemKind;
  /** The member's envelope, unchanged (addressed to the collective's fan-out address). */
  readonly envelope: DecodedEnvelope;
  /** Delivery: the receiving relay's member mailboxes (1 to 4096); Post: none. */
  readonly targets: readonly Pick<FanoutTarget, 'mailboxId' | 'mailboxKey'>[];
}

/*
 * RelayFanout (type 0x57): collective posts between relays, the body of a FanoutRequest;
 * the outbound stream and the mail stream (subject komrade.v1.mail.delivery) hold it with
 * one item.
 * +--------+-----------------+------------------+
 * | header | count u16 (1-256) | count x item   |
 * +--------+-----------------+------------------+
 * item = kind u8 (1 Post, 2 Delivery) | envelope (u32 len + Envelope bytes)
 *        | targets u16 (Post: 0; Delivery: 1-4096) x (mailbox id (16) | mailbox key (u8 len=45 + key))
 */
export function encodeRelayFanout(items: readonly FanoutItem[]): Uint8Array {
  if (items.length < 1 || items.length > MAX_BATCH) throw new RangeError('batch size');
  let size = 6;
  for (const it of items) size += 7 + it.envelope.bytes.length + 62 * it.targets.length;
  const w = new Writer(size);
  writeHeader(w, MessageType.RelayFanout);
  w.u16(items.length);
  for (const it of items) {
    checkTargets(it.kind, it.targets.length);
    w.u8(it.kind).bytesU32(it.envelope.bytes).u16(it.targets.length);
    for (const t of it.targets) {
      if (t.mailboxId.length !== MAILBOX_ID_SIZE) throw new RangeError('mailbox id');
      if (t.mailboxKey.length !== PUBLIC_KEY_SIZE) throw new RangeError('mailbox key');
      w.bytes(t.mailboxId).bytesU8(t.mailboxKey);
    }
  }
  return w.finish();
}

function checkTargets(kind: number, n: number): void {
  const ok =
    kind === FanoutItemKind.Post
      ? n === 0
      : kind === FanoutItemKind.Delivery && n >= 1 && n <= MAX_COLLECTIVE_MEMBERS;
  if (!ok) throw new RangeError('fan-out item targets');
}

export function decodeRelayFanout(bytes: Uint8Array): Result<FanoutItem[]> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.RelayFanout);
    const count = r.u16('count');
    if (count < 1 || count > MAX_BATCH) throw new WireError('ERR_WIRE_LENGTH', 'count');
    const out: FanoutItem[] = [];
    for (let i = 0; i < count; i++) {
      const kind = r.u8('kind');
      if (kind !== FanoutItemKind.Post && kind !== FanoutItemKind.Delivery)
        throw new WireError('ERR_WIRE_FIELD', 'kind');
      const env = decodeEnvelope(r.bytesU32(1, MAX_ENVELOPE_BYTES, 'envelope'));
      if (!env.ok) throw new WireError(env.code, `envelope ${i}`);
      const n = r.u16('targets');
      if (kind === FanoutItemKind.Post ? n !== 0 : n < 1 || n > MAX_COLLECTIVE_MEMBERS)
        throw new WireError('ERR_WIRE_LENGTH', 'targets');
      const targets: { mailboxId: Uint8Array; mailboxKey: Uint8Array }[] = [];
      for (let j = 0; j < n; j++)
        targets.push({
          mailboxId: r.bytesFixed(MAILBOX_ID_SIZE, 'mailbox id'),
          mailboxKey: r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'mailbox key'),
        });
      out.push({ kind, envelope: env.value, targets });
    }
    return out;
  });
}
