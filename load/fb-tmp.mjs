import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
const port = process.argv[2];
const variant = process.argv[3] ?? 'full';
const r = new Redis({ port, lazyConnect: true });
await r.connect();
const { MAILBOX_SCRIPTS } = await import('/work/main/protocol/dist/src/index.js');
let script = MAILBOX_SCRIPTS.storeFanout;
const variants = {
  full: script,
  notomb: script.replace("elseif redis.call('ZSCORE', base .. 'gone', tomb) then r = 0\n", ''),
  nokey: script.replace("local cur = redis.pcall('GET', base .. 'key')", "local cur = ARGV[i + 1]"),
  minimal: `#!lua flags=allow-cross-slot-keys
local id, env, seq = ARGV[1], ARGV[2], ARGV[3]
local at = tonumber(ARGV[4])
local out = {}
for i = 7, #ARGV - 1, 2 do
  local base = 'km:mb:{' .. ARGV[i] .. '}:'
  redis.call('HSETNX', base .. 'msg', id, env)
  out[#out+1] = 1
end
return out`,
  rpush: `#!lua flags=allow-cross-slot-keys
local out = {}
for i = 7, #ARGV - 1, 2 do
  redis.call('RPUSH', 'km:mb:{' .. ARGV[i] .. '}:l', ARGV[2])
  out[#out+1] = 1
end
return out`,
  loop: `#!lua flags=allow-cross-slot-keys
local out = {}
for i = 7, #ARGV - 1, 2 do
  local base = 'km:mb:{' .. ARGV[i] .. '}:'
  out[#out+1] = 1
end
return out`,
};
script = variants[variant];
const sha = await r.script('LOAD', script);
const members = 1000, posts = Number(process.env.POSTS ?? 200), chunk = 256;
const list = Array.from({ length: members }, () => { const hex = randomBytes(16).toString('hex'); return { hex, key: randomBytes(45) }; });
const p = r.pipeline(); for (const m of list) p.set(`km:mb:{${m.hex}}:key`, m.key, 'PX', 3600000); await p.exec();
await r.config('RESETSTAT');
const env = randomBytes(1164);
let next = 0; const t0 = performance.now(); const now = Date.now();
await Promise.all(Array.from({ length: 4 }, async () => { for (;;) { const post = next++; if (post >= posts) return;
  const id = randomBytes(16); const calls = [];
  for (let i = 0; i < members; i += chunk) { const part = list.slice(i, i + chunk);
    const args = [`km:mb:{${part[0].hex}}:key`, id, env, post, now + 3600000, 1000000, now];
    for (const m of part) args.push(m.hex, m.key);
    calls.push(r.evalsha(sha, 1, ...args)); }
  const res = await Promise.all(calls);
  if (res.some(c => c.some(x => x !== 1))) throw new Error('bad ' + JSON.stringify(res[0].slice(0,3)));
}}));
const sec = (performance.now() - t0) / 1000;
const info = await r.info('commandstats');
const ev = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
console.log(variant, Math.round(members * posts / sec), 'deliv/s; redis usec/member', (ev[2] / (members*posts)).toFixed(2));
await r.flushall(); r.disconnect();
