import * as assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  MAX_SIGNED_ENTRY,
  MessageType,
  REGISTRATION_EXTRA_BITS,
  checkPostage,
  decodeDirectoryEntry,
  decodeDirectoryLookup,
  decodeDirectoryRecord,
  decodeDirectoryRegister,
  encodeDirectoryEntry,
  encodeDirectoryLookup,
  encodeDirectoryRecord,
  encodeDirectoryRegister,
  generateKeyPair,
  initCrypto,
  mintPostage,
  openDirectoryRecord,
  registrationIdOf,
  secureMessageSign,
  signDirectoryEntry,
  type ErrorCode,
  type KeyPair,
} from '../src/index.js';
import { concat, expectFail, expectOk, header, patch } from './fixtures.js';
import { SAMPLE_ADDRESS, SAMPLE_ENTRY, SAMPLE_KEY, seeded } from './fixtures-directory.js';

const ENTRY_BYTES = encodeDirectoryEntry(SAMPLE_ENTRY);
/** Offsets in ENTRY_BYTES: name "alice" (5 bytes), relay "relay1.example" (14 bytes). */
const N = 5;
const R = 14;

describe('directory entry', () => {
  test('directory entry - round trips every field; size is 122 + name + relay', () => {
    assert.equal(ENTRY_BYTES.length, 122 + N + R);
    assert.deepEqual(ENTRY_BYTES.subarray(0, 4), header(MessageType.DirectoryEntry));
    assert.deepEqual(expectOk(decodeDirectoryEntry(ENTRY_BYTES)), SAMPLE_ENTRY);
  });

  const cases: [string, Uint8Array, ErrorCode][] = [
    ['a name of 2 bytes', patch(ENTRY_BYTES, 4, 1, 2), 'ERR_WIRE_LENGTH'],
    ['a name of 33 bytes', patch(ENTRY_BYTES, 4, 1, 33), 'ERR_WIRE_LENGTH'],
    ['an upper-case name', patch(ENTRY_BYTES, 5, 1, 0x41), 'ERR_WIRE_FIELD'],
    ['a name with a dash', patch(ENTRY_BYTES, 6, 1, 0x2d), 'ERR_WIRE_FIELD'],
    ['a name with a NUL', patch(ENTRY_BYTES, 7, 1, 0), 'ERR_WIRE_FIELD'],
    ['an identity key of 44 bytes', patch(ENTRY_BYTES, 5 + N, 1, 44), 'ERR_WIRE_LENGTH'],
    ['an empty relay name', patch(ENTRY_BYTES, 51 + N, 1, 0), 'ERR_WIRE_LENGTH'],
    ['an upper-case relay name', patch(ENTRY_BYTES, 52 + N, 1, 0x52), 'ERR_WIRE_FIELD'],
    ['an intro key of 46 bytes', patch(ENTRY_BYTES, 68 + N + R, 1, 46), 'ERR_WIRE_LENGTH'],
    ['a timestamp over 2^53', patch(ENTRY_BYTES, 114 + N + R, 4, 0x200000), 'ERR_WIRE_FIELD'],
    ['no timestamp', ENTRY_BYTES.subarray(0, 114 + N + R), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases)
    test(`directory entry - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeDirectoryEntry(bytes), code);
    });

  test('directory entry - encode refuses non-canonical names and wrong key sizes', () => {
    for (const name of ['Alice', 'al', 'a'.repeat(33), 'al-ice'])
      assert.throws(() => encodeDirectoryEntry({ ...SAMPLE_ENTRY, name }), RangeError, name);
    assert.throws(
      () => encodeDirectoryEntry({ ...SAMPLE_ENTRY, identityKey: new Uint8Array(44) }),
      RangeError,
    );
    assert.throws(
      () => encodeDirectoryEntry({ ...SAMPLE_ENTRY, introKey: new Uint8Array(46) }),
      RangeError,
    );
    assert.throws(() => encodeDirectoryEntry({ ...SAMPLE_ENTRY, timestampMs: -1 }), RangeError);
  });
});

describe('directory register, lookup and record', () => {
  const reg = {
    identityKey: SAMPLE_KEY,
    postage: seeded(8, 9),
    signedEntry: seeded(260, 10),
  };
  const REG = encodeDirectoryRegister(reg);

  test('directory register - round trips; the layout is key, postage, signed entry', () => {
    assert.equal(REG.length, 4 + 1 + 45 + 8 + 2 + 260);
    assert.deepEqual(expectOk(decodeDirectoryRegister(REG)), reg);
    assert.deepEqual(REG.subarray(50, 58), reg.postage);
  });

  const regCases: [string, Uint8Array, ErrorCode][] = [
    ['a key of 44 bytes', patch(REG, 4, 1, 44), 'ERR_WIRE_LENGTH'],
    ['an empty signed entry', concat(REG.subarray(0, 58), [0, 0]), 'ERR_WIRE_LENGTH'],
    ['a signed entry over 1024 bytes', patch(REG, 58, 2, MAX_SIGNED_ENTRY + 1), 'ERR_WIRE_LENGTH'],
    ['a signed entry longer than the input', patch(REG, 58, 2, 261), 'ERR_WIRE_TRUNCATED'],
    ['no postage', REG.subarray(0, 53), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of regCases)
    test(`directory register - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeDirectoryRegister(bytes), code);
    });

  test('directory register - encode refuses bad postage, key and entry sizes', () => {
    assert.throws(
      () => encodeDirectoryRegister({ ...reg, postage: new Uint8Array(7) }),
      RangeError,
    );
    assert.throws(
      () => encodeDirectoryRegister({ ...reg, identityKey: new Uint8Array(1) }),
      RangeError,
    );
    assert.throws(
      () => encodeDirectoryRegister({ ...reg, signedEntry: new Uint8Array(0) }),
      RangeError,
    );
    assert.throws(
      () => encodeDirectoryRegister({ ...reg, signedEntry: new Uint8Array(MAX_SIGNED_ENTRY + 1) }),
      RangeError,
    );
  });

  test('directory record - round trips, and is the registration without its stamp', () => {
    const rec = encodeDirectoryRecord({
      identityKey: reg.identityKey,
      signedEntry: reg.signedEntry,
    });
    assert.deepEqual(expectOk(decodeDirectoryRecord(rec)), {
      identityKey: reg.identityKey,
      signedEntry: reg.signedEntry,
    });
    assert.deepEqual(rec.subarray(4, 50), REG.subarray(4, 50));
    assert.deepEqual(rec.subarray(50), REG.subarray(58));
    expectFail(decodeDirectoryRecord(patch(rec, 50, 2, 0)), 'ERR_WIRE_LENGTH');
  });

  test('directory lookup - round trips a name; refuses non-canonical names', () => {
    const b = encodeDirectoryLookup({ name: 'bob' });
    assert.deepEqual(b, concat(header(MessageType.DirectoryLookup), [3], [0x62, 0x6f, 0x62]));
    assert.deepEqual(expectOk(decodeDirectoryLookup(b)), { name: 'bob' });
    expectFail(decodeDirectoryLookup(patch(b, 5, 1, 0x42)), 'ERR_WIRE_FIELD');
    expectFail(
      decodeDirectoryLookup(concat(header(MessageType.DirectoryLookup), [2, 0x61, 0x62])),
      'ERR_WIRE_LENGTH',
    );
    assert.throws(() => encodeDirectoryLookup({ name: 'Bob' }), RangeError);
  });

  test('registration id - binds the key and the signed entry, not the stamp', () => {
    const id = registrationIdOf(reg);
    assert.equal(id.length, 16);
    assert.deepEqual(registrationIdOf({ ...reg }), id);
    assert.notDeepEqual(registrationIdOf({ ...reg, signedEntry: seeded(260, 11) }), id);
    assert.notDeepEqual(registrationIdOf({ ...reg, identityKey: seeded(45, 12) }), id);
    const bits = 8 + REGISTRATION_EXTRA_BITS;
    const stamp = mintPostage(id, bits);
    assert.ok(checkPostage(id, stamp, bits));
    assert.ok(
      !checkPostage(registrationIdOf({ ...reg, signedEntry: seeded(260, 11) }), stamp, bits),
    );
  });
});

describe('directory proof (Themis)', () => {
  let alice: KeyPair;
  let mallory: KeyPair;
  before(async () => {
    await initCrypto();
    alice = generateKeyPair();
    mallory = generateKeyPair();
  });
  const entryFor = (k: KeyPair, name = 'alice') => ({
    ...SAMPLE_ENTRY,
    name,
    identityKey: k.publicKey,
    intro: SAMPLE_ADDRESS,
  });

  test('directory proof - a signed entry opens to the entry, for its name', () => {
    const signed = expectOk(signDirectoryEntry(alice, entryFor(alice)));
    const rec = { identityKey: alice.publicKey, signedEntry: signed };
    assert.deepEqual(expectOk(openDirectoryRecord(rec)), entryFor(alice));
    assert.deepEqual(expectOk(openDirectoryRecord(rec, 'alice')), entryFor(alice));
  });

  test('directory proof - another name than asked for is ERR_NAME_PROOF', () => {
    const signed = expectOk(signDirectoryEntry(alice, entryFor(alice)));
    expectFail(
      openDirectoryRecord({ identityKey: alice.publicKey, signedEntry: signed }, 'alicf'),
      'ERR_NAME_PROOF',
    );
  });

  test('directory proof - a record claiming another key, or a tampered signature, is ERR_NAME_PROOF', () => {
    const signed = expectOk(signDirectoryEntry(alice, entryFor(alice)));
    expectFail(
      openDirectoryRecord({ identityKey: mallory.publicKey, signedEntry: signed }),
      'ERR_NAME_PROOF',
    );
    const tampered = signed.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expectFail(
      openDirectoryRecord({ identityKey: alice.publicKey, signedEntry: tampered }),
      'ERR_NAME_PROOF',
    );
    expectFail(
      openDirectoryRecord({ identityKey: seeded(45, 1), signedEntry: signed }),
      'ERR_NAME_PROOF',
    );
  });

  test('directory proof - an entry that names a key other than its signer is ERR_NAME_PROOF', () => {
    // mallory signs an entry naming alice's key: the record must carry mallory's key to verify
    const forged = expectOk(
      secureMessageSign(mallory.privateKey, encodeDirectoryEntry(entryFor(alice))),
    );
    expectFail(
      openDirectoryRecord({ identityKey: mallory.publicKey, signedEntry: forged }),
      'ERR_NAME_PROOF',
    );
    expectFail(
      openDirectoryRecord({ identityKey: alice.publicKey, signedEntry: forged }),
      'ERR_NAME_PROOF',
    );
    expectFail(signDirectoryEntry(mallory, entryFor(alice)), 'ERR_NAME_PROOF');
  });

  test('directory proof - a properly signed blob that is not an entry keeps its wire code', () => {
    const signed = expectOk(
      secureMessageSign(alice.privateKey, encodeDirectoryLookup({ name: 'alice' })),
    );
    expectFail(
      openDirectoryRecord({ identityKey: alice.publicKey, signedEntry: signed }),
      'ERR_WIRE_TYPE',
    );
  });
});
