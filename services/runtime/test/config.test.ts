import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { common, ConfigError, loadEnv } from '../src/config.js';

const shape = {
  KOMRADE_POSTAGE_BITS: common.count(16, 0, 28),
  KOMRADE_REQUEST_TIMEOUT_MS: common.count(5000, 100, 120_000),
  KOMRADE_MAIL_MAX_TTL_SEC: common.seconds(7 * 86400, 60, 90 * 86400),
};

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadEnv('test', shape, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  return [];
}

describe('service configuration', () => {
  test('numbers: defaults when unset or empty, whole numbers in range otherwise', () => {
    assert.equal(loadEnv('test', shape, {}).KOMRADE_POSTAGE_BITS, 16);
    assert.equal(loadEnv('test', shape, { KOMRADE_POSTAGE_BITS: '' }).KOMRADE_POSTAGE_BITS, 16);
    assert.equal(loadEnv('test', shape, { KOMRADE_POSTAGE_BITS: '0' }).KOMRADE_POSTAGE_BITS, 0);
    for (const bad of ['abc', '3.5', '29', '-1'])
      assert.deepEqual(problems({ KOMRADE_POSTAGE_BITS: bad }), [
        'KOMRADE_POSTAGE_BITS: must be a whole number from 0 to 28',
      ]);
    assert.deepEqual(problems({ KOMRADE_MAIL_MAX_TTL_SEC: '1d' }), [
      'KOMRADE_MAIL_MAX_TTL_SEC: must be a whole number of seconds from 60 to 7776000',
    ]);
  });

  test('every problem at once, typos included', () => {
    assert.deepEqual(
      [...problems({ KOMRADE_POSTAGEBITS: '3', KOMRADE_REQUEST_TIMEOUT_MS: '5' })].sort(),
      [
        'KOMRADE_POSTAGEBITS: unknown variable (typo?)',
        'KOMRADE_REQUEST_TIMEOUT_MS: must be a whole number from 100 to 120000',
      ],
    );
  });
});
