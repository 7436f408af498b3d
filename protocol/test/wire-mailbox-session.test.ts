import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MessageType,
  PROOF_NONCE_SIZE,
  SESSION_TOKEN_SIZE,
  decodeMailboxCreate,
  decodeSessionGrant,
  decodeSessionOpen,
  decodeSessionProof,
  encodeMailboxCreate,
  encodeSessionGrant,
  encodeSessionOpen,
  encodeSessionProof,
  type ErrorCode,
} from '../src/index.js';
import {
  ADDRESS,
  KEY45,
  concat,
  expectFail,
  expectOk,
  filled,
  header,
  patch,
  u16,
} from './fixtures.js';

const ID = ADDRESS.id;

describe('mailbox create', () => {
  test('mailbox create - round trips id and public key in a 66-byte message', () => {
    const bytes = encodeMailboxCreate({ id: ID, publicKey: KEY45 });
    assert.equal(bytes.length, 4 + 16 + 1 + 45);
    assert.deepEqual(bytes.subarray(0, 4), header(MessageType.MailboxCreate));
    assert.deepEqual(expectOk(decodeMailboxCreate(bytes)), { id: ID, publicKey: KEY45 });
  });

  const good = encodeMailboxCreate({ id: ID, publicKey: KEY45 });
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['a public key of 0 bytes', patch(good, 20, 1, 0), 'ERR_WIRE_LENGTH'],
    ['a public key of 44 bytes', patch(good, 20, 1, 44), 'ERR_WIRE_LENGTH'],
    ['a public key of 46 bytes', concat(patch(good, 20, 1, 46), [0]), 'ERR_WIRE_LENGTH'],
    ['a missing public key', good.subarray(0, 20), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases)
    test(`mailbox create - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeMailboxCreate(bytes), code);
    });

  test('mailbox create - encode refuses wrong id or key sizes', () => {
    assert.throws(
      () => encodeMailboxCreate({ id: new Uint8Array(15), publicKey: KEY45 }),
      RangeError,
    );
    assert.throws(() => encodeMailboxCreate({ id: ID, publicKey: new Uint8Array(44) }), RangeError);
  });
});

describe('session proof', () => {
  const proof = {
    mailbox: ADDRESS,
    timestampMs: 1_795_000_000_000,
    nonce: filled(PROOF_NONCE_SIZE, 4),
  };
  const R = ADDRESS.relay.length;

  test('session proof - round trips mailbox address, timestamp and nonce', () => {
    const bytes = encodeSessionProof(proof);
    assert.equal(bytes.length, 4 + 1 + R + 16 + 8 + 16);
    assert.deepEqual(expectOk(decodeSessionProof(bytes)), proof);
  });

  test('session proof - timestamps 0 and Number.MAX_SAFE_INTEGER round trip', () => {
    for (const timestampMs of [0, Number.MAX_SAFE_INTEGER])
      assert.equal(
        expectOk(decodeSessionProof(encodeSessionProof({ ...proof, timestampMs }))).timestampMs,
        timestampMs,
      );
  });

  const good = encodeSessionProof(proof);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['a timestamp above 2^53 - 1', patch(good, 21 + R, 4, 0x00200000), 'ERR_WIRE_FIELD'],
    ['an empty relay name', patch(good, 4, 1, 0), 'ERR_WIRE_LENGTH'],
    ['a relay name of 64 bytes', patch(good, 4, 1, 64), 'ERR_WIRE_LENGTH'],
    ['an invalid relay name', patch(good, 5, 1, 0x5f), 'ERR_WIRE_FIELD'],
    ['a short nonce', good.subarray(0, good.length - 1), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases)
    test(`session proof - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeSessionProof(bytes), code);
    });

  test('session proof - encode refuses a wrong-size nonce, a bad address or an unsafe timestamp', () => {
    assert.throws(() => encodeSessionProof({ ...proof, nonce: new Uint8Array(15) }), RangeError);
    assert.throws(
      () => encodeSessionProof({ ...proof, mailbox: { relay: 'x', id: new Uint8Array(17) } }),
      RangeError,
    );
    assert.throws(() => encodeSessionProof({ ...proof, timestampMs: 2 ** 53 }), RangeError);
  });
});

describe('session open', () => {
  test('session open - round trips proofs of 1 and 512 bytes', () => {
    for (const n of [1, 140, 512]) {
      const m = { id: ID, signedProof: filled(n, n) };
      const bytes = encodeSessionOpen(m);
      assert.deepEqual(bytes.subarray(20, 22), Uint8Array.from(u16(n)));
      assert.deepEqual(expectOk(decodeSessionOpen(bytes)), m);
    }
  });

  const good = encodeSessionOpen({ id: ID, signedProof: filled(140, 1) });
  const h = header(MessageType.SessionOpen);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['an empty proof', concat(h, ID, u16(0)), 'ERR_WIRE_LENGTH'],
    ['a proof of 513 bytes', concat(h, ID, u16(513), filled(513, 1)), 'ERR_WIRE_LENGTH'],
    ['a proof length of 65535', concat(h, ID, u16(0xffff)), 'ERR_WIRE_LENGTH'],
    ['a proof longer than the input', patch(good, 20, 2, 141), 'ERR_WIRE_TRUNCATED'],
    ['a proof shorter than the input', patch(good, 20, 2, 139), 'ERR_WIRE_TRAILING'],
  ];
  for (const [what, bytes, code] of cases)
    test(`session open - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeSessionOpen(bytes), code);
    });

  test('session open - encode refuses an empty or oversized proof and a bad id', () => {
    assert.throws(() => encodeSessionOpen({ id: ID, signedProof: new Uint8Array(0) }), RangeError);
    assert.throws(
      () => encodeSessionOpen({ id: ID, signedProof: new Uint8Array(513) }),
      RangeError,
    );
    assert.throws(
      () => encodeSessionOpen({ id: new Uint8Array(16 + 1), signedProof: new Uint8Array(1) }),
      RangeError,
    );
  });
});

describe('session grant', () => {
  test('session grant - round trips a 32-byte token and a TTL, including 0 and 2^32 - 1', () => {
    for (const ttlSec of [0, 600, 0xffffffff]) {
      const g = { token: filled(SESSION_TOKEN_SIZE, 5), ttlSec };
      const bytes = encodeSessionGrant(g);
      assert.equal(bytes.length, 4 + 32 + 4);
      assert.deepEqual(expectOk(decodeSessionGrant(bytes)), g);
    }
  });

  test('session grant - a token of another size is a truncated or over-long message', () => {
    const h = header(MessageType.SessionGrant);
    expectFail(decodeSessionGrant(concat(h, filled(31, 1), [0, 0, 0, 1])), 'ERR_WIRE_TRUNCATED');
    expectFail(decodeSessionGrant(concat(h, filled(33, 1), [0, 0, 0, 1])), 'ERR_WIRE_TRAILING');
  });

  test('session grant - encode refuses a wrong-size token and a TTL outside u32', () => {
    const token = filled(SESSION_TOKEN_SIZE, 5);
    assert.throws(() => encodeSessionGrant({ token: new Uint8Array(31), ttlSec: 1 }), RangeError);
    for (const ttlSec of [-1, 2 ** 32, 1.5, Number.NaN])
      assert.throws(() => encodeSessionGrant({ token, ttlSec }), RangeError, `ttl ${ttlSec}`);
  });
});
