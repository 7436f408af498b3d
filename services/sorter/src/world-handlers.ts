import {
  decodeWorldListRequest,
  decodeWorldPost,
  encodeAccepted,
  encodeErrorReply,
  encodeWorldListResponse,
  openWorldPost,
  toHex,
  WORLD_CLOCK_WINDOW_MS,
  worldDayOf,
  worldPostIdOf,
  type WorldPost,
} from '@komrade/protocol';
import type { WorldStore } from './world-store.js';

export interface WorldDeps {
  readonly store: WorldStore;
  readonly relayName: string;
  readonly now: () => number;
  /** Longest lifetime an author may choose (KOMRADE_WORLD_MAX_TTL_SEC). */
  readonly maxTtlSec: number;
}

/** A list answer stays well under NATS's 1 MB message limit. */
const PAGE_BYTES = 900_000;

/**
 * WorldPost (its postage checked by the operator) -> Accepted with the post id. One
 * Themis verify: the relay keeps only posts their author signed, for this relay, fresh,
 * with a lifetime it allows (SPEC 21.2). Publishing the same post again is harmless.
 */
export async function handleWorldPublish(deps: WorldDeps, data: Uint8Array): Promise<Uint8Array> {
  const wp = decodeWorldPost(data);
  if (!wp.ok) return encodeErrorReply(wp.code);
  const body = openWorldPost(wp.value);
  if (!body.ok) return encodeErrorReply(body.code);
  const b = body.value;
  if (b.relay !== deps.relayName) return encodeErrorReply('ERR_RELAY_UNKNOWN');
  const now = deps.now();
  if (Math.abs(now - b.timestampMs) > WORLD_CLOCK_WINDOW_MS)
    return encodeErrorReply('ERR_SEAL_STALE');
  if (b.ttlSec > deps.maxTtlSec) return encodeErrorReply('ERR_EXPIRY_INVALID');
  const id = worldPostIdOf(wp.value);
  const outcome = await deps.store.publish(
    worldDayOf(b.timestampMs),
    toHex(id),
    data,
    b.timestampMs,
    b.timestampMs + b.ttlSec * 1000,
    now,
  );
  if (outcome === 'expired') return encodeErrorReply('ERR_EXPIRY_INVALID');
  return encodeAccepted([id]);
}

/**
 * WorldListRequest -> one page of live world posts, newest first, older than the cursor.
 * Walks the days from the cursor's back to the oldest day a live post can have.
 */
export async function handleWorldList(deps: WorldDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeWorldListRequest(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const { beforeMs, beforeId, max } = req.value;
  const now = deps.now();
  const before = beforeMs === 0 ? undefined : { ms: beforeMs, idHex: toHex(beforeId) };
  const newest = worldDayOf(before ? before.ms : now + WORLD_CLOCK_WINDOW_MS);
  const oldest = worldDayOf(now - deps.maxTtlSec * 1000 - WORLD_CLOCK_WINDOW_MS);
  const posts: WorldPost[] = [];
  let bytes = 0;
  let more = false;
  for (let day = newest; day >= oldest && !more; day--) {
    for (const item of await deps.store.listDay(day, now, before, max + 1 - posts.length)) {
      if (posts.length === max || (posts.length > 0 && bytes + item.bytes.length > PAGE_BYTES)) {
        more = true;
        break;
      }
      const wp = decodeWorldPost(item.bytes);
      if (!wp.ok) continue;
      posts.push(wp.value);
      bytes += item.bytes.length;
    }
  }
  return encodeWorldListResponse({ more, posts });
}
