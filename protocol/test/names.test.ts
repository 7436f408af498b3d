import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  NAME_MAX,
  NAME_MIN,
  RESERVED_NAMES,
  checkRegistrable,
  isCanonicalName,
  normalizeName,
} from '../src/index.js';
import { expectFail, expectOk } from './fixtures.js';

describe('names', () => {
  test('names - typed spellings fold to one canonical lower-case name, "@" optional', () => {
    for (const typed of ['alice', 'Alice', 'ALICE', '@alice', '@AlIcE'])
      assert.equal(expectOk(normalizeName(typed)), 'alice', typed);
    assert.equal(expectOk(normalizeName('Bob_The_2nd')), 'bob_the_2nd');
    assert.equal(expectOk(normalizeName('___')), '___');
    assert.equal(expectOk(normalizeName('007')), '007');
  });

  test('names - lengths 3 and 32 are accepted, 2 and 33 are not', () => {
    assert.equal(NAME_MIN, 3);
    assert.equal(NAME_MAX, 32);
    expectOk(normalizeName('abc'));
    expectOk(normalizeName('a'.repeat(32)));
    expectFail(normalizeName('ab'), 'ERR_NAME_INVALID');
    expectFail(normalizeName('a'.repeat(33)), 'ERR_NAME_INVALID');
    expectFail(normalizeName('@ab'), 'ERR_NAME_INVALID');
  });

  const invalid = [
    '',
    '@',
    '@@alice',
    'al ice',
    'alice!',
    'al-ice',
    'al.ice',
    'alice\n',
    ' alice',
    'élise',
    'ａｌｉｃｅ', // full-width letters
    '\u212Aomrade', // Kelvin sign: lower-cases to "k"
    'alİce', // dotted capital I: lower-cases to "i" + combining dot
    'alice\u0000',
    'ali\u200bce', // zero-width space
  ];
  for (const s of invalid)
    test(`names - ${JSON.stringify(s)} is not a name`, () => {
      expectFail(normalizeName(s), 'ERR_NAME_INVALID');
    });

  test('names - a look-alike that case-folds onto ASCII is refused before folding', () => {
    assert.equal('\u212Aomrade'.toLowerCase(), 'komrade');
    expectFail(normalizeName('\u212Aomrade'), 'ERR_NAME_INVALID');
  });

  test('names - reserved names are valid names but cannot be registered', () => {
    for (const n of ['admin', 'komrade', 'operator', 'root', 'support', 'vouch']) {
      assert.ok(RESERVED_NAMES.has(n), n);
      assert.equal(expectOk(normalizeName(n.toUpperCase())), n);
      expectFail(checkRegistrable(n), 'ERR_NAME_RESERVED');
    }
    for (const n of RESERVED_NAMES) assert.ok(isCanonicalName(n), n);
    assert.equal(expectOk(checkRegistrable('alice')), 'alice');
    expectFail(checkRegistrable('Alice'), 'ERR_NAME_INVALID');
  });

  test('names - property: normalizeName output is always canonical, and idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), (s) => {
        const r = normalizeName(s);
        if (!r.ok) return;
        assert.ok(isCanonicalName(r.value));
        assert.deepEqual(normalizeName(r.value), r);
      }),
      { numRuns: 10_000 },
    );
  });

  test('names - property: every canonical name is its own normal form', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9_]{3,32}$/), (n) => {
        assert.equal(expectOk(normalizeName(n)), n);
        assert.equal(expectOk(normalizeName(`@${n.toUpperCase()}`)), n);
      }),
      { numRuns: 2_000 },
    );
  });
});
