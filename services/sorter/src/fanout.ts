import type { NatsConnection } from '@nats-io/nats-core';
import {
  decodeEnvelope,
  decodeErrorReply,
  decodeFanoutMembers,
  decodeRelayFanout,
  FanoutItemKind,
  encodeFanoutQuery,
  isErrorReply,
  SUBJECTS,
  toHex,
  type FanoutTarget,
} from '@komrade/protocol';
import type { OutboundQueue } from './forward-queue.js';
import type { FanoutOutcome, SorterMailboxStore } from './mailbox-store.js';

/** Finds the member mailboxes behind a fan-out id; undefined for an unknown collective. */
export type MemberLookup = (fanoutId: Uint8Array) => Promise<readonly FanoutTarget[] | undefined>;

/**
 * Asks vouch (`komrade.v1.collective.fanout`) for a collective's member mailboxes, and
 * keeps each answer for `cacheMs`, so a burst of posts to one collective costs one
 * request. Members who join or leave show up within that time. A vouch that does not
 * answer throws (the post is redelivered later); only a definite "no such collective" is
 * undefined.
 */
export function vouchMemberLookup(
  nc: NatsConnection,
  o: { readonly cacheMs: number; readonly timeoutMs: number; readonly now: () => number },
): MemberLookup {
  const cache = new Map<string, { at: number; targets: readonly FanoutTarget[] | undefined }>();
  return async (fanoutId) => {
    const key = toHex(fanoutId);
    const now = o.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < o.cacheMs) return hit.targets;
    const m = await nc.request(SUBJECTS.collectiveFanout, encodeFanoutQuery(fanoutId), {
      timeout: o.timeoutMs,
    });
    let targets: readonly FanoutTarget[] | undefined;
    if (isErrorReply(m.data)) {
      const code = decodeErrorReply(m.data);
      if (!code.ok || code.value !== 'ERR_COLLECTIVE_NOT_FOUND')
        throw new Error(`fan-out lookup failed: ${code.ok ? code.value : 'unreadable reply'}`);
      targets = undefined;
    } else {
      const d = decodeFanoutMembers(m.data);
      if (!d.ok) throw new Error('fan-out lookup: unreadable reply');
      targets = d.value;
    }
    // bounded: forget the oldest answers first
    if (cache.size >= 10_000) cache.delete(cache.keys().next().value ?? '');
    cache.set(key, { at: now, targets });
    return targets;
  };
}

export interface FanoutDeps {
  readonly store: SorterMailboxStore;
  readonly members: MemberLookup;
  /** Federation: where posts of members and for members on peer relays go (SPEC 20.9). */
  readonly outbound?: OutboundQueue | undefined;
  readonly relayName: string;
  readonly quota: number;
  readonly maxTtlMs: number;
  readonly now: () => number;
}

/** What one fan-out did: how many member mailboxes it reached, by outcome. */
export interface FanoutReport {
  readonly action: 'ack' | 'term';
  /** forwarded: a post to a peer's collective, now in the outbound stream for that peer. */
  readonly outcome: 'fanout' | 'invalid' | 'forwarded';
  readonly members: number;
  readonly outcomes: Readonly<Record<FanoutOutcome, number>>;
  /** Members on peer relays whose copies went to the outbound stream (one per peer). */
  readonly remote: number;
  /** Members on relays that are no longer peers: they miss the post. */
  readonly unreachable: number;
}

const NONE: Record<FanoutOutcome, number> = Object.freeze({
  stored: 0,
  duplicate: 0,
  'over-quota': 0,
  expired: 0,
  'wrong-key': 0,
});

const INVALID: FanoutReport = Object.freeze({
  action: 'term',
  outcome: 'invalid',
  members: 0,
  outcomes: NONE,
  remote: 0,
  unreachable: 0,
});

/**
 * One envelope posted to a collective's fan-out address (SPEC 20.6): copies it into every
 * local member's collective mailbox, all writes at once, and hands one copy per peer
 * relay, with that peer's member mailboxes, to the outbound stream (SPEC 20.9); resolves
 * only after every write (and the configured replica wait), so the caller acks
 * JetStream only then. A failure throws: the message is redelivered and writes already
 * done are not repeated (the store is idempotent by envelope id, the outbound stream
 * drops a message id it has). Full mailboxes are skipped rather than holding back every
 * other member. A post to a peer's collective goes to the outbound stream for that peer.
 */
export async function sortFanout(
  deps: FanoutDeps,
  data: Uint8Array,
  seq: number,
): Promise<FanoutReport> {
  const env = decodeEnvelope(data);
  if (!env.ok) return INVALID;
  const e = env.value;
  if (e.to.relay !== deps.relayName) {
    if (!deps.outbound?.has(e.to.relay)) return INVALID;
    await deps.outbound.publishFanout(e.to.relay, {
      kind: FanoutItemKind.Post,
      envelope: e,
      targets: [],
    });
    return { ...INVALID, action: 'ack', outcome: 'forwarded' };
  }
  const targets = await deps.members(e.to.id);
  if (targets === undefined) return INVALID;
  const local: FanoutTarget[] = [];
  const byPeer = new Map<string, FanoutTarget[]>();
  let unreachable = 0;
  for (const t of targets) {
    if (t.mailboxRelay === deps.relayName) local.push(t);
    else if (deps.outbound?.has(t.mailboxRelay)) {
      const list = byPeer.get(t.mailboxRelay) ?? [];
      list.push(t);
      byPeer.set(t.mailboxRelay, list);
    } else unreachable++;
  }
  const now = deps.now();
  const expiresAt = Math.min((e.expiryHour + 1) * 3_600_000, now + deps.maxTtlMs);
  const [outcomes] = await Promise.all([
    local.length > 0
      ? deps.store.storeFanout(local, e.id, e.bytes, seq, expiresAt, deps.quota, now)
      : Promise.resolve(NONE),
    ...[...byPeer].map(([peer, list]) =>
      deps.outbound?.publishFanout(peer, {
        kind: FanoutItemKind.Delivery,
        envelope: e,
        targets: list,
      }),
    ),
  ]);
  const remote = targets.length - local.length - unreachable;
  return {
    action: 'ack',
    outcome: 'fanout',
    members: targets.length,
    outcomes,
    remote,
    unreachable,
  };
}

/**
 * A peer relay's collective post for members here (subject komrade.v1.mail.delivery,
 * SPEC 20.9): stored into each listed collective mailbox with the same checks as a local
 * fan-out (the mailbox must be registered with the listed key). Nothing else arrives on
 * that subject; anything undecodable is terminated.
 */
export async function sortDelivery(
  deps: Pick<FanoutDeps, 'store' | 'relayName' | 'quota' | 'maxTtlMs' | 'now'>,
  data: Uint8Array,
  seq: number,
): Promise<FanoutReport> {
  const d = decodeRelayFanout(data);
  const item = d.ok && d.value.length === 1 ? d.value[0] : undefined;
  if (!item || item.kind !== FanoutItemKind.Delivery) return INVALID;
  const e = item.envelope;
  const now = deps.now();
  const expiresAt = Math.min((e.expiryHour + 1) * 3_600_000, now + deps.maxTtlMs);
  const targets = item.targets.map((t) => ({ ...t, mailboxRelay: deps.relayName }));
  const outcomes = await deps.store.storeFanout(
    targets,
    e.id,
    e.bytes,
    seq,
    expiresAt,
    deps.quota,
    now,
  );
  return { ...INVALID, action: 'ack', outcome: 'fanout', members: targets.length, outcomes };
}
