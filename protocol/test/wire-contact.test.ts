import * as assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  MAX_NOTE_BYTES,
  MAX_VERIFY_PAYLOAD,
  MessageType,
  decodeContactAccept,
  decodeContactRequest,
  decodeVerifyStep,
  encodeContactAccept,
  encodeContactRequest,
  encodeVerifyStep,
  generateKeyPair,
  initCrypto,
  isVerifyInitiator,
  safetyFingerprint,
  safetyNumber,
  safetySecret,
  type ErrorCode,
} from '../src/index.js';
import { concat, expectFail, expectOk, header, patch } from './fixtures.js';
import { SAMPLE_ADDRESS, SAMPLE_KEY, seeded } from './fixtures-directory.js';

const REQ = { name: 'alice', mailbox: SAMPLE_ADDRESS, mailboxKey: SAMPLE_KEY, note: 'hi ✊' };
const REQ_BYTES = encodeContactRequest(REQ);
/** name "alice" = 5 bytes, relay "relay1.example" = 14 bytes */
const NOTE_AT = 68 + 5 + 14;

describe('contact request', () => {
  test('contact request - round trips name, mailbox, key and a UTF-8 note', () => {
    assert.deepEqual(REQ_BYTES.subarray(0, 4), header(MessageType.ContactRequest));
    assert.deepEqual(expectOk(decodeContactRequest(REQ_BYTES)), REQ);
    const empty = encodeContactRequest({ ...REQ, note: '' });
    assert.equal(expectOk(decodeContactRequest(empty)).note, '');
  });

  test('contact request - a note of exactly 280 bytes is fine, 281 is refused both ways', () => {
    const max = 'é'.repeat(MAX_NOTE_BYTES / 2);
    assert.equal(
      expectOk(decodeContactRequest(encodeContactRequest({ ...REQ, note: max }))).note,
      max,
    );
    assert.throws(() => encodeContactRequest({ ...REQ, note: `${max}a` }), RangeError);
    const over = concat(patch(REQ_BYTES, NOTE_AT, 2, 281), new Uint8Array(281 - 6));
    expectFail(decodeContactRequest(over), 'ERR_WIRE_LENGTH');
  });

  test('contact request - a leading byte-order mark survives decode and encode unchanged', () => {
    const b = encodeContactRequest({ ...REQ, note: '\ufeffhello' });
    assert.deepEqual(encodeContactRequest(expectOk(decodeContactRequest(b))), b);
  });

  const bad = (bytes: number[]): Uint8Array =>
    concat(REQ_BYTES.subarray(0, NOTE_AT), [0, bytes.length], bytes);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['a note that is not UTF-8', bad([0xff, 0xfe]), 'ERR_WIRE_FIELD'],
    ['an overlong UTF-8 encoding', bad([0xc0, 0xaf]), 'ERR_WIRE_FIELD'],
    ['a UTF-8 encoded surrogate', bad([0xed, 0xa0, 0x80]), 'ERR_WIRE_FIELD'],
    ['a truncated UTF-8 sequence', bad([0xe2, 0x9c]), 'ERR_WIRE_FIELD'],
    ['an invalid requester name', patch(REQ_BYTES, 5, 1, 0x2e), 'ERR_WIRE_FIELD'],
    ['a mailbox key of 44 bytes', patch(REQ_BYTES, 22 + 5 + 14, 1, 44), 'ERR_WIRE_LENGTH'],
  ];
  for (const [what, bytes, code] of cases)
    test(`contact request - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeContactRequest(bytes), code);
    });
});

describe('contact accept', () => {
  const acc = { name: 'bob', mailbox: SAMPLE_ADDRESS, mailboxKey: SAMPLE_KEY };
  test('contact accept - round trips', () => {
    const b = encodeContactAccept(acc);
    assert.equal(b.length, 4 + 4 + 1 + 14 + 16 + 46);
    assert.deepEqual(expectOk(decodeContactAccept(b)), acc);
    expectFail(decodeContactAccept(patch(b, 4, 1, 40)), 'ERR_WIRE_LENGTH');
    assert.throws(
      () => encodeContactAccept({ ...acc, mailboxKey: new Uint8Array(44) }),
      RangeError,
    );
    assert.throws(() => encodeContactAccept({ ...acc, name: 'B' }), RangeError);
  });
});

describe('verify step', () => {
  const step = { runId: seeded(16, 1), step: 3, payload: seeded(256, 2) };
  const b = encodeVerifyStep(step);
  test('verify step - round trips', () => {
    assert.equal(b.length, 4 + 16 + 1 + 2 + 256);
    assert.deepEqual(expectOk(decodeVerifyStep(b)), step);
  });
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['step 0', patch(b, 20, 1, 0), 'ERR_WIRE_FIELD'],
    ['step 5', patch(b, 20, 1, 5), 'ERR_WIRE_FIELD'],
    ['an empty payload', concat(b.subarray(0, 21), [0, 0]), 'ERR_WIRE_LENGTH'],
    ['a payload over 1024 bytes', patch(b, 21, 2, MAX_VERIFY_PAYLOAD + 1), 'ERR_WIRE_LENGTH'],
  ];
  for (const [what, bytes, code] of cases)
    test(`verify step - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeVerifyStep(bytes), code);
    });
  test('verify step - encode refuses bad steps, run ids and payloads', () => {
    assert.throws(() => encodeVerifyStep({ ...step, step: 0 }), RangeError);
    assert.throws(() => encodeVerifyStep({ ...step, step: 1.5 }), RangeError);
    assert.throws(() => encodeVerifyStep({ ...step, runId: new Uint8Array(15) }), RangeError);
    assert.throws(() => encodeVerifyStep({ ...step, payload: new Uint8Array(0) }), RangeError);
  });
});

describe('safety numbers', () => {
  before(async () => {
    await initCrypto();
  });

  test('safety numbers - a fingerprint is 6 groups of 5 digits, stable for a key', () => {
    const fp = safetyFingerprint(SAMPLE_KEY);
    assert.equal(fp.length, 6);
    for (const g of fp) assert.match(g, /^\d{5}$/);
    assert.deepEqual(safetyFingerprint(SAMPLE_KEY.slice()), fp);
    assert.notDeepEqual(safetyFingerprint(seeded(45, 99)), fp);
  });

  test('safety numbers - known answer (pins the construction across clients)', () => {
    assert.deepEqual(safetyFingerprint(new Uint8Array(45).fill(7)), [
      '82775',
      '78720',
      '78590',
      '00071',
      '19790',
      '61888',
    ]);
  });

  test('safety numbers - both sides see the same 12 groups; each sees its own half as "mine"', () => {
    const a = generateKeyPair().publicKey;
    const b = generateKeyPair().publicKey;
    const atA = safetyNumber(a, b);
    const atB = safetyNumber(b, a);
    assert.deepEqual(atA.groups, atB.groups);
    assert.equal(atA.groups.length, 12);
    assert.deepEqual(atA.mine, atB.theirs);
    assert.notEqual(isVerifyInitiator(a, b), isVerifyInitiator(b, a));
  });

  test('safety numbers - the comparator secret needs the same key pair and the same phrase', () => {
    const a = generateKeyPair().publicKey;
    const b = generateKeyPair().publicKey;
    const m = generateKeyPair().publicKey;
    assert.deepEqual(safetySecret(a, b, 'blue tractor'), safetySecret(b, a, 'blue tractor'));
    assert.notDeepEqual(safetySecret(a, b, 'blue tractor'), safetySecret(a, m, 'blue tractor'));
    assert.notDeepEqual(safetySecret(a, b, 'blue tractor'), safetySecret(a, b, 'red tractor'));
    // NFC: a precomposed and a decomposed "é" are the same phrase
    assert.deepEqual(safetySecret(a, b, 'caf\u00e9'), safetySecret(a, b, 'cafe\u0301'));
  });
});
