/**
 * The Redis layout of world posts, shared by the sorter (publish, list) and purge
 * (sweep). Posts are grouped by the UTC day of their timestamp; every key of one day
 * carries the hash tag `{d<day>}`, so a day's keys share one Redis Cluster slot and the
 * days spread over the cluster. Ids are the 32 lower-case hex digits of the post id, so
 * that posts of the same millisecond sort by id in Redis and in Lua alike.
 *
 *   km:wp:{d<day>}:msg   HASH  post id (hex) -> WorldPost bytes
 *   km:wp:{d<day>}:seq   ZSET  post id scored by its timestamp (Unix ms)
 *   km:wp:{d<day>}:exp   ZSET  post id scored by its expiry (Unix ms)
 *
 * Every write sets each key's expiry to the latest expiry of its posts, so Redis drops a
 * day's keys on its own once all its posts have expired; purge's sweep removes each
 * expired post before that.
 */
export interface WorldKeys {
  readonly msgs: string;
  readonly order: string;
  readonly expiry: string;
}

export const WORLD_KEY_PREFIX = 'km:wp:';
export const DAY_MS = 86_400_000;

/** The UTC day number (days since 1970-01-01) of a Unix-ms time. */
export function worldDayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function worldKeys(day: number): WorldKeys {
  const base = `${WORLD_KEY_PREFIX}{d${day}}`;
  return { msgs: `${base}:msg`, order: `${base}:seq`, expiry: `${base}:exp` };
}

/** SCAN pattern matching every day's expiry index (for the sweep). */
export const WORLD_EXPIRY_SCAN_PATTERN = `${WORLD_KEY_PREFIX}*:exp`;

/** Given an expiry index key found by SCAN, the keys of the same day. */
export function worldKeysFromExpiryKey(expiryKey: string): WorldKeys | undefined {
  const m = /^km:wp:\{d(\d{1,9})\}:exp$/.exec(expiryKey);
  return m?.[1] === undefined ? undefined : worldKeys(Number(m[1]));
}

const DROP_EXPIRED = `
local function drop_expired(msgs, order, expiry, now)
  local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(gone) do
    redis.call('HDEL', msgs, id)
    redis.call('ZREM', order, id)
    redis.call('ZREM', expiry, id)
  end
  if #gone > 0 and redis.call('HLEN', msgs) == 0 then redis.call('DEL', msgs, order, expiry) end
  return #gone
end
`;

/** Lua scripts; each documents KEYS, ARGV and its return value and touches one day only. */
export const WORLD_SCRIPTS = Object.freeze({
  /*
   * KEYS: msgs, order, expiry
   * ARGV: post id (hex), WorldPost bytes, timestamp ms, expiry ms, now ms
   * returns 1 stored, 0 already stored (same id), -2 already expired
   */
  store: `
local at = tonumber(ARGV[4])
if at <= tonumber(ARGV[5]) then return -2 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], at, ARGV[1])
for i = 1, 3 do
  if redis.call('PEXPIRETIME', KEYS[i]) < at then redis.call('PEXPIREAT', KEYS[i], at) end
end
return 1
`,
  /*
   * KEYS: msgs, order, expiry
   * ARGV: now ms, before ms ('+inf' for the newest), before id (hex, '' for none), max
   * Drops up to 1000 expired posts of the day first. Returns up to max posts strictly
   * older than (before ms, before id), newest first: { id1, post1, ms1, id2, ... }.
   */
  list: `${DROP_EXPIRED}
drop_expired(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local max = tonumber(ARGV[4])
local cursor = ARGV[2]
local cursorScore = tonumber(cursor)
local out = {}
local offset = 0
while #out < max * 3 do
  local page = redis.call('ZREVRANGEBYSCORE', KEYS[2], cursor, '-inf', 'WITHSCORES', 'LIMIT', offset, 100)
  if #page == 0 then break end
  offset = offset + #page / 2
  for i = 1, #page, 2 do
    local id = page[i]
    local score = tonumber(page[i + 1])
    if not (ARGV[3] ~= '' and score == cursorScore and id >= ARGV[3]) and #out < max * 3 then
      local post = redis.call('HGET', KEYS[1], id)
      if post then
        out[#out + 1] = id
        out[#out + 1] = post
        out[#out + 1] = page[i + 1]
      end
    end
  end
end
return out
`,
  /*
   * KEYS: msgs, order, expiry
   * ARGV: now ms
   * returns how many expired posts were removed (at most 1000; call again while > 0)
   */
  sweep: `${DROP_EXPIRED}
local n = drop_expired(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return n
`,
});
