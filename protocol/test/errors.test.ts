import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  ERRORS,
  ERROR_CODES,
  KomradeError,
  errorInfo,
  fail,
  isErrorCode,
  ok,
} from '../src/index.js';

/**
 * The pinned registry. Adding, removing or reordering a code must change this list, and
 * the new code must be documented in SPEC.md. Codes are never renamed or reused.
 */
const PINNED_CODES = [
  'ERR_WIRE_TRUNCATED',
  'ERR_WIRE_MAGIC',
  'ERR_WIRE_VERSION',
  'ERR_WIRE_TYPE',
  'ERR_WIRE_LENGTH',
  'ERR_WIRE_TRAILING',
  'ERR_WIRE_FIELD',
  'ERR_WIRE_PADDING',
  'ERR_HTTP_TOO_LARGE',
  'ERR_HTTP_CONTENT_TYPE',
  'ERR_HTTP_NOT_FOUND',
  'ERR_HTTP_BAD_REQUEST',
  'ERR_RATE_LIMITED',
  'ERR_POSTAGE_INSUFFICIENT',
  'ERR_EXPIRY_INVALID',
  'ERR_RELAY_UNKNOWN',
  'ERR_MAILBOX_AUTH',
  'ERR_MAILBOX_CONFLICT',
  'ERR_SERVICE_UNAVAILABLE',
  'ERR_SERVICE_TIMEOUT',
  'ERR_SERVICE_INTERNAL',
  'ERR_CRYPTO_INIT',
  'ERR_CRYPTO_KEY_INVALID',
  'ERR_CRYPTO_DECRYPT',
  'ERR_CRYPTO_SIGNATURE',
  'ERR_CRYPTO_FAILED',
  'ERR_CRYPTO_INPUT',
  'ERR_SEAL_WRONG_SENDER',
  'ERR_SEAL_WRONG_MAILBOX',
  'ERR_SEAL_REPLAY',
  'ERR_SEAL_STALE',
  'ERR_SEAL_TOO_LARGE',
  'ERR_CLIENT_UNREACHABLE',
  'ERR_CLIENT_PROTOCOL',
  'ERR_NAME_INVALID',
  'ERR_NAME_RESERVED',
  'ERR_NAME_TAKEN',
  'ERR_NAME_NOT_FOUND',
  'ERR_NAME_PROOF',
  'ERR_NAME_STALE',
  'ERR_KEYSTORE_MISSING',
  'ERR_KEYSTORE_EXISTS',
  'ERR_KEYSTORE_PASSPHRASE',
  'ERR_KEYSTORE_NO_PASSPHRASE',
  'ERR_KEYSTORE_WEAK_PASSPHRASE',
  'ERR_KEYSTORE_CORRUPT',
  'ERR_KEYSTORE_VERSION',
  'ERR_KEYSTORE_LOCKED',
  'ERR_KEYSTORE_IO',
  'ERR_KEYSTORE_NAMED',
  'ERR_KEYSTORE_UNNAMED',
  'ERR_CONTACT_UNKNOWN',
  'ERR_CONTACT_EXISTS',
  'ERR_CONTACT_PENDING',
  'ERR_CONTACT_NO_REQUEST',
  'ERR_CONTACT_SELF',
  'ERR_CONTACT_KEY_CHANGED',
  'ERR_VERIFY_TIMEOUT',
  'ERR_VERIFY_MISMATCH',
  'ERR_COLLECTIVE_TAKEN',
  'ERR_COLLECTIVE_NOT_FOUND',
  'ERR_COLLECTIVE_NOT_MEMBER',
  'ERR_COLLECTIVE_MEMBER',
  'ERR_COLLECTIVE_NOT_CANDIDATE',
  'ERR_COLLECTIVE_FULL',
  'ERR_COLLECTIVE_POLICY',
  'ERR_COLLECTIVE_REPLAY',
  'ERR_COLLECTIVE_NO_KEY',
  'ERR_VOUCH_DUPLICATE',
  'ERR_POST_TOO_LONG',
  'ERR_POST_TOO_LARGE',
  'ERR_POST_IMAGE_TYPE',
  'ERR_PEER_AUTH',
  'ERR_PEER_STALE',
  'ERR_PEER_REPLAY',
  'ERR_PEER_QUOTA',
  'ERR_PEER_UNREACHABLE',
];

const CODE_SHAPE = /^ERR_[A-Z]+_[A-Z_]+$/;
/**
 * Codes that predate the naming check and break it. Shrink this list, never grow it: a new
 * code must match CODE_SHAPE.
 */
const NAMING_EXCEPTIONS: string[] = [];

/** Compiled tests run from protocol/dist/test/, so the spec is two levels up. */
const SPEC = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8');

describe('error registry', () => {
  test('errors - the list of codes is exactly the pinned list, in order', () => {
    assert.deepEqual([...ERROR_CODES], PINNED_CODES);
    assert.deepEqual(Object.keys(ERRORS), PINNED_CODES);
  });

  test('errors - every code is ERR_<AREA>_<WHAT> in upper case (known exceptions pinned)', () => {
    const offenders = ERROR_CODES.filter((code) => !CODE_SHAPE.test(code));
    assert.deepEqual(offenders, NAMING_EXCEPTIONS);
  });

  test('errors - every code has an HTTP status from 400 to 599', () => {
    for (const code of ERROR_CODES) {
      const { status } = errorInfo(code);
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
    }
  });

  test('errors - every code has a retryable flag and a short, safe public message', () => {
    // Words that would betray internals: stack frames, source files, engines, library names.
    const internal =
      /stack|trace|exception|undefined|null|nan\b|\[object|node_modules|\.ts\b|\.js\b|\bat [\w.]+ \(|redis|nats|jetstream|lua|themis|wasm|errno|sql/i;
    const errnoName = /\bE[A-Z]{3,}\b/; // ECONNREFUSED and friends
    const template = /[{}<>`]|\$\{/;
    for (const code of ERROR_CODES) {
      const info = errorInfo(code);
      assert.equal(typeof info.retryable, 'boolean', code);
      assert.equal(typeof info.message, 'string', code);
      assert.ok(info.message.trim().length > 0, `${code}: empty message`);
      assert.ok(info.message.length <= 120, `${code}: message too long`);
      assert.doesNotMatch(info.message, internal, `${code}: ${info.message}`);
      assert.doesNotMatch(info.message, errnoName, `${code}: ${info.message}`);
      assert.doesNotMatch(info.message, template, `${code}: ${info.message}`);
      assert.ok(!info.message.includes('\n'), code);
    }
  });

  test('errors - every code is documented in protocol/SPEC.md', () => {
    const missing = ERROR_CODES.filter((code) => !SPEC.includes(`\`${code}\``));
    assert.deepEqual(missing, []);
  });

  test('errors - SPEC.md documents no code the registry lacks', () => {
    const documented = new Set(SPEC.match(/\bERR_[A-Z_]+[A-Z]\b/g) ?? []);
    const unknown = [...documented].filter((c) => !isErrorCode(c));
    assert.deepEqual(unknown, []);
  });

  test('errors - SPEC.md error table states each code’s status and retryability as registered', () => {
    for (const code of ERROR_CODES) {
      const row = SPEC.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      assert.ok(row, `${code}: no table row`);
      const cells = row.split('|').map((c) => c.trim());
      assert.equal(cells[2], String(errorInfo(code).status), `${code} status`);
      assert.equal(cells[3], errorInfo(code).retryable ? 'yes' : 'no', `${code} retryable`);
    }
  });

  test('errors - ERR_MAILBOX_AUTH answers both a wrong proof and a missing mailbox, so it names neither', () => {
    assert.doesNotMatch(errorInfo('ERR_MAILBOX_AUTH').message, /not found|no such|missing|exist/i);
  });

  test('errors - isErrorCode accepts registered codes only, never inherited names', () => {
    for (const code of ERROR_CODES) assert.ok(isErrorCode(code));
    for (const x of [
      '',
      'ERR_NOPE',
      'err_internal',
      'constructor',
      'toString',
      '__proto__',
      1,
      null,
      undefined,
      {},
    ])
      assert.ok(!isErrorCode(x), JSON.stringify(x) ?? typeof x);
  });

  test('errors - the registry is frozen', () => {
    assert.ok(Object.isFrozen(ERRORS));
    assert.ok(Object.isFrozen(ERROR_CODES));
    assert.throws(() => {
      (ERRORS as Record<string, unknown>)['ERR_NEW_THING'] = {};
    }, TypeError);
  });

  test('errors - KomradeError carries code, status and retryable, and its message is the public one', () => {
    const e = new KomradeError('ERR_SERVICE_TIMEOUT');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'KomradeError');
    assert.equal(e.code, 'ERR_SERVICE_TIMEOUT');
    assert.equal(e.status, 504);
    assert.equal(e.retryable, true);
    assert.equal(e.message, errorInfo('ERR_SERVICE_TIMEOUT').message);
    const d = new KomradeError('ERR_CRYPTO_INIT', 'call initCrypto() first');
    assert.equal(d.message, `${errorInfo('ERR_CRYPTO_INIT').message} (call initCrypto() first)`);
  });

  test('errors - ok and fail build the two result shapes', () => {
    assert.deepEqual(ok(3), { ok: true, value: 3 });
    assert.deepEqual(fail('ERR_SERVICE_INTERNAL'), { ok: false, code: 'ERR_SERVICE_INTERNAL' });
    assert.deepEqual(fail('ERR_SERVICE_INTERNAL', 'x'), {
      ok: false,
      code: 'ERR_SERVICE_INTERNAL',
      detail: 'x',
    });
    assert.ok(!('detail' in fail('ERR_SERVICE_INTERNAL')));
  });
});
