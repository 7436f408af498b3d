import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  MAILBOX_ID_SIZE,
  MESSAGE_ID_SIZE,
  PUBLIC_KEY_SIZE,
  RELAY_NAME_MAX,
  formatAddress,
  fromHex,
  isRelayName,
  parseAddress,
  toHex,
} from '../src/index.js';
import { addressArb, filled } from './fixtures.js';

describe('address', () => {
  test('address - sizes are pinned: 16-byte mailbox and message ids, 45-byte keys, 63-char relays', () => {
    assert.equal(MAILBOX_ID_SIZE, 16);
    assert.equal(MESSAGE_ID_SIZE, 16);
    assert.equal(PUBLIC_KEY_SIZE, 45);
    assert.equal(RELAY_NAME_MAX, 63);
  });

  test('address - relay names: 1-63 of [a-z0-9.-], alphanumeric at both ends', () => {
    const good = [
      'a',
      '0',
      'ab',
      'relay1',
      'a.b',
      'a-b',
      'komradevxyz2abcdefghijklmnopqrstuvwxyzabcdefghijkl234567.onion',
      'x'.repeat(63),
    ];
    const bad = [
      '',
      'x'.repeat(64),
      'A',
      'Relay',
      '-a',
      'a-',
      '.a',
      'a.',
      'a b',
      'a_b',
      'a@b',
      'é',
      'a\n',
      '\na',
      'a\u0000',
      'rélay',
    ];
    for (const s of good) assert.ok(isRelayName(s), JSON.stringify(s));
    for (const s of bad) assert.ok(!isRelayName(s), JSON.stringify(s));
  });

  test('address - toHex writes lower case and fromHex reads either case', () => {
    const b = Uint8Array.from([0x00, 0x0f, 0xab, 0xff]);
    assert.equal(toHex(b), '000fabff');
    assert.deepEqual(fromHex('000fabff'), b);
    assert.deepEqual(fromHex('000FABFF'), b);
    assert.deepEqual(fromHex(''), new Uint8Array(0));
  });

  test('address - fromHex rejects odd lengths and non-hex characters', () => {
    for (const s of ['0', 'abc', 'zz', '0x00', ' 00', '00 ', '+1', '-1', 'é0'])
      assert.equal(fromHex(s), undefined, JSON.stringify(s));
  });

  test('address - hex round trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        assert.deepEqual(fromHex(toHex(b)), b);
      }),
      { numRuns: 1000 },
    );
  });

  test('address - text form is <32 hex>@<relay> and round trips', () => {
    const a = { relay: 'relay.example', id: filled(16, 1) };
    const s = formatAddress(a);
    assert.match(s, /^[0-9a-f]{32}@relay\.example$/);
    assert.deepEqual(parseAddress(s), a);
    fc.assert(
      fc.property(addressArb, (x) => {
        assert.deepEqual(parseAddress(formatAddress(x)), x);
      }),
      { numRuns: 1000 },
    );
  });

  test('address - parseAddress rejects malformed text', () => {
    const hex = toHex(filled(16, 1));
    for (const s of [
      '',
      hex,
      `${hex}@`,
      `@relay`,
      `${hex.slice(2)}@relay`,
      `${hex}00@relay`,
      `${hex}@Relay`,
      `${hex}@re lay`,
      `${hex}@a@b`,
      `${hex.slice(1)}g@relay`,
    ])
      assert.equal(parseAddress(s), undefined, JSON.stringify(s));
  });
});
