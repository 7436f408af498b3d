import type { NatsConnection } from '@nats-io/nats-core';
import {
  decodeEnvelope,
  decodeErrorReply,
  decodeFanoutMembers,
  encodeFanoutQuery,
  isErrorReply,
  SUBJECTS,
  toHex,
  type FanoutTarget,
} from '@komrade/protocol';
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
  readonly relayName: string;
  readonly quota: number;
  readonly maxTtlMs: number;
  readonly now: () => number;
}

/** What one fan-out did: how many member mailboxes it reached, by outcome. */
export interface FanoutReport {
  readonly action: 'ack' | 'term';
  readonly outcome: 'fanout' | 'invalid';
  readonly members: number;
  readonly outcomes: Readonly<Record<FanoutOutcome, number>>;
}

const NONE: Record<FanoutOutcome, number> = Object.freeze({
  stored: 0,
  duplicate: 0,
  'over-quota': 0,
  expired: 0,
  'wrong-key': 0,
});

/**
 * One envelope posted to a collective's fan-out address (SPEC 20.6): copies it into every
 * member's collective mailbox, all writes at once, and resolves only after every write
 * (and the configured replica wait), so the caller acks JetStream only then. A failure
 * throws: the message is redelivered and writes already done are not repeated (the
 * store is idempotent by envelope id). Full mailboxes are skipped rather than holding
 * back every other member.
 */
export async function sortFanout(
  deps: FanoutDeps,
  data: Uint8Array,
  seq: number,
): Promise<FanoutReport> {
  const env = decodeEnvelope(data);
  if (!env.ok || env.value.to.relay !== deps.relayName)
    return { action: 'term', outcome: 'invalid', members: 0, outcomes: NONE };
  const targets = await deps.members(env.value.to.id);
  if (targets === undefined)
    return { action: 'term', outcome: 'invalid', members: 0, outcomes: NONE };
  const now = deps.now();
  const expiresAt = Math.min((env.value.expiryHour + 1) * 3_600_000, now + deps.maxTtlMs);
  const outcomes = await deps.store.storeFanout(
    targets,
    env.value.id,
    env.value.bytes,
    seq,
    expiresAt,
    deps.quota,
    now,
  );
  return { action: 'ack', outcome: 'fanout', members: targets.length, outcomes };
}
