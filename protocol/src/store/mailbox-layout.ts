import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../wire/address.js';

/**
 * The Redis layout of a mailbox, shared by the sorter (writes, fetches) and purge
 * (acks, sweeps). It is a contract between services like a wire format, so it lives
 * here. Every key of a mailbox carries the hash tag `{<mailbox id hex>}` so all of them
 * share one Redis Cluster slot and each script below touches one slot only (except
 * storeFanout and storeBatch, which write many mailboxes on one node; see there).
 *
 *   km:mb:{id}:key          STRING  mailbox public key (TTL: mailbox lifetime, refreshed on session)
 *   km:mb:{id}:msg          HASH    envelope id (16 raw bytes) -> envelope bytes
 *   km:mb:{id}:seq          ZSET    envelope id scored by arrival (JetStream stream sequence)
 *   km:mb:{id}:exp          ZSET    envelope id scored by expiry (Unix ms)
 *   km:mb:{id}:gone         ZSET    SHA-1 of recently acked envelope ids, scored by ack time;
 *                                   kept ACK_TOMBSTONE_MS, so a late JetStream redelivery of
 *                                   mail already fetched and acked is not stored again
 *   km:mb:{id}:s:<hash>     STRING  open session; <hash> = hex SHA-256 of the token, first 16 bytes
 *   km:mb:{id}:n:<nonce>    STRING  used session-proof nonce (replay guard)
 */
export interface MailboxKeys {
  readonly key: string;
  readonly msgs: string;
  readonly order: string;
  readonly expiry: string;
  readonly gone: string;
}

/**
 * How long an acked envelope's tombstone lives: well beyond the sorter's ack wait (10 s)
 * plus a retry, after which JetStream can no longer redeliver it.
 */
export const ACK_TOMBSTONE_MS = 120_000;

export const MAILBOX_KEY_PREFIX = 'km:mb:';

export function mailboxKeys(idHex: string): MailboxKeys {
  const base = `${MAILBOX_KEY_PREFIX}{${idHex}}`;
  return {
    key: `${base}:key`,
    msgs: `${base}:msg`,
    order: `${base}:seq`,
    expiry: `${base}:exp`,
    gone: `${base}:gone`,
  };
}

/** Key of an open session; Redis keeps only a hash of the token, never the token. */
export function sessionKey(idHex: string, token: Uint8Array): string {
  return `${MAILBOX_KEY_PREFIX}{${idHex}}:s:${toHex(sha256(token).subarray(0, 16))}`;
}

export function nonceKey(idHex: string, nonceHex: string): string {
  return `${MAILBOX_KEY_PREFIX}{${idHex}}:n:${nonceHex}`;
}

/** SCAN pattern matching every mailbox's expiry index (for the sweep). */
export const EXPIRY_SCAN_PATTERN = `${MAILBOX_KEY_PREFIX}*:exp`;

/** Given an expiry index key found by SCAN, the keys of the same mailbox. */
export function keysFromExpiryKey(expiryKey: string): MailboxKeys | undefined {
  const m = /^km:mb:\{([0-9a-f]{32})\}:exp$/.exec(expiryKey);
  return m?.[1] === undefined ? undefined : mailboxKeys(m[1]);
}

/**
 * Indexes a message just written into msgs (arrival and expiry) and extends the three
 * message keys' lifetime to its expiry; one PEXPIRETIME (on msgs) stands for all three,
 * which are always extended together. Returns 1 (stored). Shared by the bulk scripts.
 */
const INDEX_NEW = `
local function index_new(msgs, order, expiry, id, seq, at)
  redis.call('ZADD', order, seq, id)
  redis.call('ZADD', expiry, at, id)
  if redis.call('PEXPIRETIME', msgs) < at then
    redis.call('PEXPIREAT', msgs, at)
    redis.call('PEXPIREAT', order, at)
    redis.call('PEXPIREAT', expiry, at)
  end
  return 1
end
`;

/** Removes expired entries, at most 1000 a call; shared prologue of several scripts. */
const DROP_EXPIRED = `
local function drop_expired(msgs, order, expiry, now)
  local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(gone) do
    redis.call('HDEL', msgs, id)
    redis.call('ZREM', order, id)
    redis.call('ZREM', expiry, id)
  end
  return #gone
end
`;

/**
 * Lua scripts. Each documents KEYS, ARGV and its return value, is idempotent, and
 * touches the keys of one mailbox only (storeFanout and storeBatch: of many, each as
 * storeIfKey or store would).
 */
export const MAILBOX_SCRIPTS = Object.freeze({
  /*
   * KEYS: msgs, order, expiry, gone
   * ARGV: envelope id, envelope, arrival sequence, expiry ms, quota (max messages), now ms
   * returns 1 stored, 0 already stored or already acked (same id), -1 mailbox over quota,
   * -2 already expired
   */
  store: `${DROP_EXPIRED}
local at = tonumber(ARGV[4])
local now = tonumber(ARGV[6])
if at <= now then return -2 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('ZSCORE', KEYS[4], redis.sha1hex(ARGV[1])) then return 0 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
  drop_expired(KEYS[1], KEYS[2], KEYS[3], now)
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then return -1 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], at, ARGV[1])
for i = 1, 3 do
  if redis.call('PEXPIRETIME', KEYS[i]) < at then redis.call('PEXPIREAT', KEYS[i], at) end
end
return 1
`,
  /*
   * The fan-out's store: the same as store, but only into a mailbox registered with the
   * public key its member announced (so posts cannot be aimed at someone else's mailbox).
   * KEYS: mailbox key, msgs, order, expiry, gone
   * ARGV: expected public key, envelope id, envelope, arrival sequence, expiry ms, quota, now ms
   * returns as store, or -3 when the mailbox is missing or registered with another key
   */
  storeIfKey: `${DROP_EXPIRED}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -3 end
local at = tonumber(ARGV[5])
local now = tonumber(ARGV[7])
if at <= now then return -2 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
if redis.call('ZSCORE', KEYS[5], redis.sha1hex(ARGV[2])) then return 0 end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[6]) then
  drop_expired(KEYS[2], KEYS[3], KEYS[4], now)
  if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[6]) then return -1 end
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[4], at, ARGV[2])
for i = 2, 4 do
  if redis.call('PEXPIRETIME', KEYS[i]) < at then redis.call('PEXPIREAT', KEYS[i], at) end
end
return 1
`,
  /*
   * The fan-out's bulk store: storeIfKey for many members in one call, so a post to a
   * collective costs one script call per Redis node and chunk of members instead of one
   * per member (the per-call overhead, not the writes, dominated). The one script that
   * touches several mailboxes: it declares only the first member's key (so a Redis Cluster
   * client routes it to that member's node) and builds the other members' key names
   * itself, which Redis Cluster allows for keys on the same node with the
   * allow-cross-slot-keys flag (Redis 7.0). A member whose slot this node does not serve
   * (a stale slot map, a failover, a resharding) is reported as -4 and not touched; the
   * caller refreshes its slot map and sends it again. Any other error ends the call (the
   * members before it are written, which is harmless to repeat).
   * Per member it does what storeIfKey does, in an order that needs fewer calls: the
   * tombstone check, the quota check (with HEXISTS only at the quota, so a duplicate in a
   * full mailbox is still 0), then HSETNX (0: already there); and one PEXPIRETIME, on msgs:
   * msgs, order and expiry always hold the same ids and get the same expiry here and in
   * store/storeIfKey, and ack and sweep delete the three together.
   * KEYS: mailbox key of the first member
   * ARGV: envelope id, envelope, arrival sequence, expiry ms, quota, now ms,
   *       then per member: mailbox id (32 lower-case hex digits), expected public key
   * returns one code per member, in ARGV order: as storeIfKey (1, 0, -1, -2, -3), or -4
   * when this node does not serve the member's mailbox
   */
  storeFanout: `#!lua flags=allow-cross-slot-keys
${DROP_EXPIRED}${INDEX_NEW}
local id, env, seq = ARGV[1], ARGV[2], ARGV[3]
local at, quota, now = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local tomb = redis.sha1hex(id)
local out = {}
for i = 7, #ARGV - 1, 2 do
  local base = 'km:mb:{' .. ARGV[i] .. '}:'
  local cur = redis.pcall('GET', base .. 'key')
  local r
  if type(cur) == 'table' then
    if not string.find(cur.err, 'non local key', 1, true) then return redis.error_reply(cur.err) end
    r = -4
  elseif cur ~= ARGV[i + 1] then r = -3
  elseif at <= now then r = -2
  elseif redis.call('ZSCORE', base .. 'gone', tomb) then r = 0
  else
    local msgs, order, expiry = base .. 'msg', base .. 'seq', base .. 'exp'
    if redis.call('HLEN', msgs) >= quota then
      if redis.call('HEXISTS', msgs, id) == 1 then r = 0
      else
        drop_expired(msgs, order, expiry, now)
        if redis.call('HLEN', msgs) >= quota then r = -1 end
      end
    end
    if r == nil then
      if redis.call('HSETNX', msgs, id, env) == 0 then r = 0
      else
        r = index_new(msgs, order, expiry, id, seq, at)
      end
    end
  end
  out[#out + 1] = r
end
return out
`,
  /*
   * The bulk store of a group-committed batch (SPEC section 11): store for several
   * envelopes, each into its own mailbox, in one call per Redis node. Like storeFanout it
   * declares only the first envelope's msgs key (for routing), builds the other key names
   * from the mailbox ids, carries allow-cross-slot-keys, and answers -4, touching nothing,
   * for a mailbox this node does not serve. Per envelope it answers as store and leaves the
   * same state, with one PEXPIRETIME (on msgs) for the three message keys.
   * KEYS: msgs of the first envelope's mailbox
   * ARGV: quota, now ms, then per envelope: mailbox id (32 lower-case hex digits),
   *       envelope id, envelope, arrival score, expiry ms
   * returns one code per envelope, in ARGV order: as store (1, 0, -1, -2), or -4
   */
  storeBatch: `#!lua flags=allow-cross-slot-keys
${DROP_EXPIRED}${INDEX_NEW}
local quota, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV - 4, 5 do
  local base = 'km:mb:{' .. ARGV[i] .. '}:'
  local id, at = ARGV[i + 1], tonumber(ARGV[i + 4])
  local msgs = base .. 'msg'
  local r
  if at <= now then r = -2
  else
    local has = redis.pcall('HEXISTS', msgs, id)
    if type(has) == 'table' then
      if not string.find(has.err, 'non local key', 1, true) then return redis.error_reply(has.err) end
      r = -4
    elseif has == 1 then r = 0
    elseif redis.call('ZSCORE', base .. 'gone', redis.sha1hex(id)) then r = 0
    else
      local order, expiry = base .. 'seq', base .. 'exp'
      if redis.call('HLEN', msgs) >= quota then
        drop_expired(msgs, order, expiry, now)
        if redis.call('HLEN', msgs) >= quota then r = -1 end
      end
      if r == nil then
        redis.call('HSET', msgs, id, ARGV[i + 2])
        r = index_new(msgs, order, expiry, id, ARGV[i + 3], at)
      end
    end
  end
  out[#out + 1] = r
end
return out
`,
  /*
   * KEYS: session, msgs, order, expiry
   * ARGV: now ms, max
   * returns nil when the session is unknown (missing mailbox looks the same),
   * else { remaining, id1, envelope1, id2, envelope2, ... } oldest first
   */
  fetch: `${DROP_EXPIRED}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
drop_expired(KEYS[2], KEYS[3], KEYS[4], ARGV[1])
local ids = redis.call('ZRANGE', KEYS[3], 0, tonumber(ARGV[2]) - 1)
local out = { redis.call('ZCARD', KEYS[3]) - #ids }
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id)
end
return out
`,
  /*
   * Deletes acknowledged mail and leaves, for ACK_TOMBSTONE_MS, only a SHA-1 of each id
   * (not the id), so a late redelivery of the same envelope is recognised and dropped.
   * KEYS: session, msgs, order, expiry, gone
   * ARGV: now ms, tombstone ms, envelope ids to delete...
   * returns -1 when the session is unknown, else how many were deleted
   */
  ack: `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local now = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local d = redis.call('HDEL', KEYS[2], id)
  if d == 1 then redis.call('ZADD', KEYS[5], now, redis.sha1hex(id)) end
  n = n + d
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
if n > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - keep)
  redis.call('PEXPIRE', KEYS[5], keep)
end
return n
`,
  /*
   * KEYS: mailbox key
   * ARGV: public key, mailbox ttl ms
   * returns 1 created or already ours (ttl refreshed), 0 the id belongs to another key
   */
  create: `
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`,
  /*
   * Run after the proof's signature was verified against the key read before.
   * KEYS: mailbox key, nonce key, session key
   * ARGV: public key the proof was verified with, nonce ttl ms, session ttl ms, mailbox ttl ms
   * returns 1 session granted, 0 refused (key changed meanwhile, or nonce already used)
   */
  openSession: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
  /*
   * KEYS: msgs, order, expiry
   * ARGV: now ms
   * returns how many expired messages were removed (at most 1000; call again while > 0)
   */
  sweep: `${DROP_EXPIRED}
local n = drop_expired(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return n
`,
});
