import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  CIPHERTEXT_SIZES,
  MAX_BATCH,
  MAX_ENVELOPE_BYTES,
  MAX_PLAINTEXT,
  MessageType,
  POSTAGE_SIZE,
  SEALED_OVERHEAD,
  decodeEnvelope,
  decodeEnvelopeBatch,
  encodeEnvelope,
  encodeEnvelopeBatch,
  envelopeIdOf,
  withPostage,
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
  repeat,
  sampleEnvelope,
  u32,
} from './fixtures.js';

const RELAY = ADDRESS.relay;
const R = RELAY.length;
/** Offsets in an encoded envelope whose relay name has R bytes. */
const OFF = {
  relayLen: 4,
  relay: 5,
  id: 5 + R,
  expiry: 21 + R,
  postage: 25 + R,
  keyLen: 33 + R,
  key: 34 + R,
  ctLen: 79 + R,
  ct: 83 + R,
};

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

describe('envelope', () => {
  test('envelope - round trips at every ciphertext bucket size', () => {
    for (const size of CIPHERTEXT_SIZES) {
      const e = sampleEnvelope(RELAY, size);
      const bytes = encodeEnvelope(e);
      assert.equal(bytes.length, OFF.ct + size);
      const d = expectOk(decodeEnvelope(bytes));
      assert.deepEqual(d.to, e.to);
      assert.equal(d.expiryHour, e.expiryHour);
      assert.deepEqual(d.postage, e.postage);
      assert.deepEqual(d.ephemeralKey, e.ephemeralKey);
      assert.deepEqual(d.ciphertext, e.ciphertext);
      assert.deepEqual(d.bytes, bytes);
      assert.deepEqual(encodeEnvelope(d), bytes);
    }
  });

  test('envelope - fields sit at the offsets the spec draws', () => {
    const e = sampleEnvelope();
    const b = encodeEnvelope(e);
    assert.deepEqual(b.subarray(0, 4), header(MessageType.Envelope));
    assert.equal(b[OFF.relayLen], R);
    assert.equal(new TextDecoder().decode(b.subarray(OFF.relay, OFF.id)), RELAY);
    assert.deepEqual(b.subarray(OFF.id, OFF.expiry), ADDRESS.id);
    assert.deepEqual(b.subarray(OFF.expiry, OFF.postage), Uint8Array.from(u32(e.expiryHour)));
    assert.deepEqual(b.subarray(OFF.postage, OFF.keyLen), e.postage);
    assert.equal(b[OFF.keyLen], 45);
    assert.deepEqual(b.subarray(OFF.key, OFF.ctLen), KEY45);
    assert.deepEqual(b.subarray(OFF.ctLen, OFF.ct), Uint8Array.from(u32(e.ciphertext.length)));
  });

  test('envelope - expiry hour round trips at 0 and at the u32 maximum', () => {
    for (const expiryHour of [0, 1, 0xffffffff]) {
      const d = expectOk(decodeEnvelope(encodeEnvelope({ ...sampleEnvelope(), expiryHour })));
      assert.equal(d.expiryHour, expiryHour);
    }
  });

  test('envelope - relay names of 1 and 63 characters round trip', () => {
    for (const relay of ['a', 'z'.repeat(63), 'abc-def.onion', '0.0']) {
      const d = expectOk(decodeEnvelope(encodeEnvelope(sampleEnvelope(relay))));
      assert.equal(d.to.relay, relay);
    }
  });

  test('envelope - id is the first 16 bytes of SHA-256 over the envelope without its postage', () => {
    const bytes = encodeEnvelope(sampleEnvelope());
    const d = expectOk(decodeEnvelope(bytes));
    const expected = sha256(bytes.subarray(0, OFF.postage), bytes.subarray(OFF.keyLen)).subarray(
      0,
      16,
    );
    assert.deepEqual(d.id, expected);
    assert.deepEqual(envelopeIdOf(bytes, R), expected);
  });

  test('envelope - re-stamping postage keeps the id; changing any other field changes it', () => {
    const bytes = encodeEnvelope(sampleEnvelope());
    const id = expectOk(decodeEnvelope(bytes)).id;
    const stamped = withPostage(bytes, R, filled(POSTAGE_SIZE, 99));
    const d = expectOk(decodeEnvelope(stamped));
    assert.deepEqual(d.postage, filled(POSTAGE_SIZE, 99));
    assert.deepEqual(d.id, id);
    assert.deepEqual(bytes.subarray(0, OFF.postage), stamped.subarray(0, OFF.postage));
    assert.deepEqual(bytes.subarray(OFF.keyLen), stamped.subarray(OFF.keyLen));
    for (const at of [OFF.id, OFF.expiry + 3, OFF.key, OFF.ct, bytes.length - 1]) {
      const b = bytes.slice();
      b[at] = (b[at] ?? 0) ^ 1;
      assert.notDeepEqual(expectOk(decodeEnvelope(b)).id, id, `offset ${at}`);
    }
  });

  test('envelope - withPostage leaves its input untouched and rejects a wrong-size nonce', () => {
    const bytes = encodeEnvelope(sampleEnvelope());
    const copy = bytes.slice();
    withPostage(bytes, R, repeat(8, 7));
    assert.deepEqual(bytes, copy);
    assert.throws(() => withPostage(bytes, R, new Uint8Array(7)), RangeError);
    assert.throws(() => withPostage(bytes, R, new Uint8Array(9)), RangeError);
  });

  describe('envelope - decode rejects', () => {
    const good = encodeEnvelope(sampleEnvelope());
    const cases: [string, Uint8Array, ErrorCode][] = [];
    for (const n of [0, 1, 1024, 1075, 1077, 4096, 0xffffffff])
      cases.push([
        `a ciphertext of ${n} bytes, which is not a bucket size`,
        patch(good, OFF.ctLen, 4, n),
        'ERR_WIRE_LENGTH',
      ]);
    for (const n of [0, 44, 46, 65, 255])
      cases.push([
        `an ephemeral key of ${n} bytes`,
        patch(good, OFF.keyLen, 1, n),
        'ERR_WIRE_LENGTH',
      ]);
    cases.push(['an empty relay name', patch(good, OFF.relayLen, 1, 0), 'ERR_WIRE_LENGTH']);
    for (const n of [64, 255])
      cases.push([`a relay length of ${n}`, patch(good, OFF.relayLen, 1, n), 'ERR_WIRE_LENGTH']);
    const badRelays: [string, number[]][] = [
      ['an upper-case relay', [0x41]],
      ['a relay starting with a dash', [0x2d]],
      ['a relay starting with a dot', [0x2e]],
      ['a relay with a space', [0x20]],
      ['a relay with an @', [0x40]],
      ['a relay with a NUL', [0x00]],
      ['a relay with a non-ASCII byte', [0xc3]],
    ];
    for (const [what, first] of badRelays)
      cases.push([what, patch(good, OFF.relay, 1, first[0] ?? 0), 'ERR_WIRE_FIELD']);
    cases.push([
      'a relay ending with a dot',
      patch(good, OFF.relay + R - 1, 1, 0x2e),
      'ERR_WIRE_FIELD',
    ]);
    cases.push([
      'a ciphertext length longer than the input',
      concat(good.subarray(0, OFF.ctLen), u32(4148), good.subarray(OFF.ct)),
      'ERR_WIRE_TRUNCATED',
    ]);
    cases.push([
      'one byte of ciphertext beyond its length',
      concat(good, [0]),
      'ERR_WIRE_TRAILING',
    ]);

    for (const [what, bytes, code] of cases)
      test(`envelope - decode rejects ${what} with ${code}`, () => {
        expectFail(decodeEnvelope(bytes), code);
      });
  });

  test('envelope - encode refuses values the decoder would reject', () => {
    const e = sampleEnvelope();
    const bad: [string, object][] = [
      ['postage 7 bytes', { postage: new Uint8Array(7) }],
      ['postage 9 bytes', { postage: new Uint8Array(9) }],
      ['key 44 bytes', { ephemeralKey: new Uint8Array(44) }],
      ['ciphertext 1075 bytes', { ciphertext: new Uint8Array(1075) }],
      ['ciphertext 1024 bytes', { ciphertext: new Uint8Array(1024) }],
      ['expiry -1', { expiryHour: -1 }],
      ['expiry 2^32', { expiryHour: 2 ** 32 }],
      ['expiry 1.5', { expiryHour: 1.5 }],
      ['expiry NaN', { expiryHour: Number.NaN }],
      ['relay upper case', { to: { relay: 'Relay', id: ADDRESS.id } }],
      ['relay empty', { to: { relay: '', id: ADDRESS.id } }],
      ['relay 64 chars', { to: { relay: 'a'.repeat(64), id: ADDRESS.id } }],
      ['mailbox id 15 bytes', { to: { relay: RELAY, id: new Uint8Array(15) } }],
    ];
    for (const [what, change] of bad)
      assert.throws(() => encodeEnvelope({ ...e, ...change }), RangeError, what);
  });

  test('envelope - sealed ciphertext sizes are the plaintext buckets plus the Themis overhead', () => {
    assert.deepEqual([...CIPHERTEXT_SIZES], [1076, 4148, 16436, 65588]);
    assert.equal(SEALED_OVERHEAD, 52);
  });
});

describe('envelope batch', () => {
  const one = encodeEnvelope(sampleEnvelope());
  const two = encodeEnvelope({ ...sampleEnvelope(), expiryHour: 7 });

  test('envelope batch - round trips one, two and MAX_BATCH envelopes in order', () => {
    for (const list of [
      [one],
      [one, two],
      Array.from({ length: MAX_BATCH }, (_, i) => (i % 2 ? one : two)),
    ]) {
      const bytes = encodeEnvelopeBatch(list);
      const d = expectOk(decodeEnvelopeBatch(bytes));
      assert.deepEqual(
        d.map((e) => e.bytes),
        list,
      );
      assert.deepEqual(d[0]?.id, expectOk(decodeEnvelope(list[0] ?? one)).id);
    }
  });

  test('envelope batch - MAX_ENVELOPE_BYTES is exactly the largest encodable envelope', () => {
    const biggest = encodeEnvelope(sampleEnvelope('r'.repeat(63), MAX_PLAINTEXT + SEALED_OVERHEAD));
    assert.equal(biggest.length, MAX_ENVELOPE_BYTES);
    expectOk(decodeEnvelopeBatch(encodeEnvelopeBatch([biggest])));
  });

  const h = header(MessageType.EnvelopeBatch);
  const count = (n: number) => [(n >> 8) & 0xff, n & 0xff];
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['a count of 0', concat(h, count(0)), 'ERR_WIRE_LENGTH'],
    [
      'a count of MAX_BATCH + 1',
      concat(h, count(MAX_BATCH + 1), u32(one.length), one),
      'ERR_WIRE_LENGTH',
    ],
    ['a count of 65535', concat(h, count(0xffff)), 'ERR_WIRE_LENGTH'],
    ['an empty envelope slot', concat(h, count(1), u32(0)), 'ERR_WIRE_LENGTH'],
    [
      'an envelope slot longer than MAX_ENVELOPE_BYTES',
      concat(h, count(1), u32(MAX_ENVELOPE_BYTES + 1), repeat(MAX_ENVELOPE_BYTES + 1, 0)),
      'ERR_WIRE_LENGTH',
    ],
    [
      'fewer envelopes than counted',
      concat(h, count(2), u32(one.length), one),
      'ERR_WIRE_TRUNCATED',
    ],
    [
      'more envelopes than counted',
      concat(h, count(1), u32(one.length), one, u32(one.length), one),
      'ERR_WIRE_TRAILING',
    ],
    [
      'an inner envelope with a wrong magic (its own code)',
      concat(h, count(1), u32(one.length), patch(one, 0, 1, 0)),
      'ERR_WIRE_MAGIC',
    ],
    [
      'an inner envelope with trailing bytes inside its slot',
      concat(h, count(1), u32(one.length + 1), one, [0]),
      'ERR_WIRE_TRAILING',
    ],
    [
      'an inner envelope of another message type',
      concat(h, count(1), u32(one.length), patch(one, 3, 1, MessageType.EnvelopeBatch)),
      'ERR_WIRE_TYPE',
    ],
    [
      'a second envelope that is truncated inside its slot',
      concat(h, count(2), u32(one.length), one, u32(10), one.subarray(0, 10)),
      'ERR_WIRE_TRUNCATED',
    ],
  ];
  for (const [what, bytes, code] of cases)
    test(`envelope batch - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeEnvelopeBatch(bytes), code);
    });

  test('envelope batch - encode refuses an empty batch and one over MAX_BATCH', () => {
    assert.throws(() => encodeEnvelopeBatch([]), RangeError);
    assert.throws(
      () => encodeEnvelopeBatch(Array.from({ length: MAX_BATCH + 1 }, () => one)),
      RangeError,
    );
  });
});
