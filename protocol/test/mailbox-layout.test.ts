import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  EXPIRY_SCAN_PATTERN,
  MAILBOX_KEY_PREFIX,
  MAILBOX_SCRIPTS,
  keysFromExpiryKey,
  mailboxKeys,
  nonceKey,
  sessionKey,
  toHex,
} from '../src/index.js';
import { filled } from './fixtures.js';

const SPEC = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8');
const ID = toHex(filled(16, 1));
const OTHER = toHex(filled(16, 2));
const TOKEN = filled(32, 3);

/** The part of a key Redis Cluster hashes: between the first "{" and the next "}", if non-empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** Redis glob with only "*" (what the sweep uses) as a RegExp. */
function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${esc}$`);
}

function allKeys(idHex: string): string[] {
  const k = mailboxKeys(idHex);
  return [
    k.key,
    k.msgs,
    k.order,
    k.expiry,
    sessionKey(idHex, TOKEN),
    nonceKey(idHex, toHex(filled(16, 4))),
  ];
}

describe('mailbox layout', () => {
  test('mailbox layout - key names are pinned', () => {
    assert.equal(MAILBOX_KEY_PREFIX, 'km:mb:');
    assert.deepEqual(mailboxKeys(ID), {
      key: `km:mb:{${ID}}:key`,
      msgs: `km:mb:{${ID}}:msg`,
      order: `km:mb:{${ID}}:seq`,
      expiry: `km:mb:{${ID}}:exp`,
      gone: `km:mb:{${ID}}:gone`,
    });
    assert.equal(nonceKey(ID, 'ab'), `km:mb:{${ID}}:n:ab`);
  });

  test('mailbox layout - every key of a mailbox shares the one hash tag {<id hex>}', () => {
    const keys = allKeys(ID);
    assert.equal(new Set(keys).size, keys.length, 'keys are distinct');
    for (const k of keys) {
      assert.ok(k.startsWith(MAILBOX_KEY_PREFIX), k);
      assert.equal(hashTag(k), ID, k);
      assert.equal(k.split('{').length, 2, `one hash tag only: ${k}`);
    }
    for (const k of allKeys(OTHER)) assert.equal(hashTag(k), OTHER);
  });

  test('mailbox layout - a session key holds a hash of the token, never the token', () => {
    const k = sessionKey(ID, TOKEN);
    const expected = createHash('sha256').update(TOKEN).digest().subarray(0, 16).toString('hex');
    assert.equal(k, `km:mb:{${ID}}:s:${expected}`);
    assert.ok(!k.includes(toHex(TOKEN)));
    assert.notEqual(sessionKey(ID, filled(32, 4)), k);
  });

  test('mailbox layout - keysFromExpiryKey gives back the keys of the same mailbox', () => {
    for (const id of [ID, OTHER, '0'.repeat(32), 'f'.repeat(32)])
      assert.deepEqual(keysFromExpiryKey(mailboxKeys(id).expiry), mailboxKeys(id));
  });

  test('mailbox layout - keysFromExpiryKey rejects every other key and malformed ids', () => {
    const keys = mailboxKeys(ID);
    const bad = [
      keys.key,
      keys.msgs,
      keys.order,
      sessionKey(ID, TOKEN),
      nonceKey(ID, 'ab'),
      '',
      `km:mb:{${ID.toUpperCase()}}:exp`,
      `km:mb:{${ID.slice(1)}}:exp`,
      `km:mb:{${ID}0}:exp`,
      `km:mb:${ID}:exp`,
      `km:mb:{${ID}}:exp:x`,
      `xkm:mb:{${ID}}:exp`,
      `km:mb:{${ID}}:exp\n`,
      `km:xx:{${ID}}:exp`,
      `km:mb:{${ID.slice(2)}zz}:exp`,
    ];
    for (const k of bad) assert.equal(keysFromExpiryKey(k), undefined, JSON.stringify(k));
  });

  test('mailbox layout - the sweep SCAN pattern matches expiry indexes and no other mailbox key', () => {
    const re = globToRegExp(EXPIRY_SCAN_PATTERN);
    assert.ok(re.test(mailboxKeys(ID).expiry));
    for (const k of allKeys(ID).filter((k) => k !== mailboxKeys(ID).expiry))
      assert.ok(!re.test(k), k);
  });

  test('mailbox layout - the script set is pinned and each script is documented in SPEC.md', () => {
    assert.deepEqual(Object.keys(MAILBOX_SCRIPTS), [
      'store',
      'storeIfKey',
      'storeFanout',
      'storeBatch',
      'fetch',
      'ack',
      'create',
      'openSession',
      'sweep',
    ]);
    for (const name of Object.keys(MAILBOX_SCRIPTS)) assert.ok(SPEC.includes(`\`${name}\``), name);
  });

  test('mailbox layout - scripts touch only the keys they are given, so each stays in one cluster slot', () => {
    for (const [name, src] of Object.entries(MAILBOX_SCRIPTS)) {
      if (name === 'storeFanout' || name === 'storeBatch') continue; // the exceptions, checked below
      assert.ok(src.trim().length > 0, name);
      assert.ok(!src.includes(MAILBOX_KEY_PREFIX), `${name} builds a key name`);
      assert.ok(!/\.\.\s*['"]|string\.format/.test(src), `${name} concatenates strings`);
      assert.ok(
        !/redis\.call\(\s*'(?:KEYS|SCAN|FLUSH\w*|EVAL\w*)'/i.test(src),
        `${name} calls a forbidden command`,
      );
    }
  });

  test('mailbox layout - storeBatch is flagged for keys of several slots and builds exactly mailboxKeys() names', () => {
    const src = MAILBOX_SCRIPTS.storeBatch;
    assert.ok(src.startsWith('#!lua flags=allow-cross-slot-keys\n'));
    assert.ok(src.includes(`local base = '${MAILBOX_KEY_PREFIX}{' .. ARGV[i] .. '}:'`));
    const built = [...src.matchAll(/base \.\. '(\w+)'/g)].map((m) => m[1]);
    const k = mailboxKeys(ID);
    const base = `${MAILBOX_KEY_PREFIX}{${ID}}:`;
    assert.deepEqual(
      [...new Set(built)].map((suffix) => `${base}${suffix ?? ''}`).sort(),
      [k.msgs, k.order, k.expiry, k.gone].sort(),
    );
  });

  test('mailbox layout - storeFanout is flagged for keys of several slots and builds exactly mailboxKeys() names', () => {
    const src = MAILBOX_SCRIPTS.storeFanout;
    // Redis reads the flags only from a shebang on the very first line
    assert.ok(src.startsWith('#!lua flags=allow-cross-slot-keys\n'));
    // the key names it builds: base .. suffix, with base = prefix{<ARGV hex>}:
    assert.ok(src.includes(`local base = '${MAILBOX_KEY_PREFIX}{' .. ARGV[i] .. '}:'`));
    const built = [...src.matchAll(/base \.\. '(\w+)'/g)].map((m) => m[1]);
    const k = mailboxKeys(ID);
    const base = `${MAILBOX_KEY_PREFIX}{${ID}}:`;
    assert.deepEqual(
      [...new Set(built)].map((suffix) => `${base}${suffix ?? ''}`).sort(),
      [k.key, k.msgs, k.order, k.expiry, k.gone].sort(),
    );
    assert.ok(!/redis\.call\(\s*'(?:KEYS|SCAN|FLUSH\w*|EVAL\w*)'/i.test(src));
  });

  test('mailbox layout - every plain SET in a script carries a TTL', () => {
    for (const [name, src] of Object.entries(MAILBOX_SCRIPTS))
      for (const call of src.match(/redis\.call\('SET'[^)]*\)/g) ?? [])
        assert.match(call, /'PX'/, `${name}: ${call}`);
  });
});
