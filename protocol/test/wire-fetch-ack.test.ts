import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ERROR_CODES,
  MAX_ENVELOPE_BYTES,
  MAX_FETCH,
  MessageType,
  decodeAccepted,
  decodeAckRequest,
  decodeAckResponse,
  decodeErrorReply,
  decodeFetchRequest,
  decodeFetchResponse,
  encodeAccepted,
  encodeAckRequest,
  encodeAckResponse,
  encodeEnvelope,
  encodeErrorReply,
  encodeFetchRequest,
  encodeFetchResponse,
  isErrorReply,
  type ErrorCode,
} from '../src/index.js';
import {
  ADDRESS,
  concat,
  expectFail,
  expectOk,
  filled,
  header,
  patch,
  repeat,
  sampleEnvelope,
  u16,
  u32,
} from './fixtures.js';

const ID = ADDRESS.id;
const TOKEN = filled(32, 20);
const ids = (n: number) => Array.from({ length: n }, (_, i) => filled(16, i + 1));

describe('fetch request', () => {
  test('fetch request - round trips max 1, 100 and MAX_FETCH', () => {
    for (const max of [1, 100, MAX_FETCH]) {
      const f = { id: ID, token: TOKEN, max };
      const bytes = encodeFetchRequest(f);
      assert.equal(bytes.length, 4 + 16 + 32 + 2);
      assert.deepEqual(expectOk(decodeFetchRequest(bytes)), f);
    }
  });

  const h = header(MessageType.FetchRequest);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['max 0', concat(h, ID, TOKEN, u16(0)), 'ERR_WIRE_FIELD'],
    ['max MAX_FETCH + 1', concat(h, ID, TOKEN, u16(MAX_FETCH + 1)), 'ERR_WIRE_FIELD'],
    ['max 65535', concat(h, ID, TOKEN, u16(0xffff)), 'ERR_WIRE_FIELD'],
    ['a 31-byte token', concat(h, ID, TOKEN.subarray(1), u16(1)), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases)
    test(`fetch request - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeFetchRequest(bytes), code);
    });

  test('fetch request - encode refuses max outside 1..MAX_FETCH and bad credential sizes', () => {
    for (const max of [0, MAX_FETCH + 1, 1.5, -1])
      assert.throws(
        () => encodeFetchRequest({ id: ID, token: TOKEN, max }),
        RangeError,
        `max ${max}`,
      );
    assert.throws(
      () => encodeFetchRequest({ id: ID, token: new Uint8Array(31), max: 1 }),
      RangeError,
    );
    assert.throws(
      () => encodeFetchRequest({ id: new Uint8Array(15), token: TOKEN, max: 1 }),
      RangeError,
    );
  });
});

describe('fetch response', () => {
  const env = encodeEnvelope(sampleEnvelope());

  test('fetch response - round trips zero, one and several envelopes with the remaining count', () => {
    for (const [remaining, envelopes] of [
      [0, []],
      [7, [env]],
      [0xffffffff, [env, env, env]],
    ] as const) {
      const bytes = encodeFetchResponse({ remaining, envelopes });
      const d = expectOk(decodeFetchResponse(bytes));
      assert.equal(d.remaining, remaining);
      assert.deepEqual(
        d.envelopes.map((e) => e.bytes),
        envelopes,
      );
    }
  });

  const h = header(MessageType.FetchResponse);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['a count of MAX_FETCH + 1', concat(h, u32(0), u16(MAX_FETCH + 1)), 'ERR_WIRE_LENGTH'],
    ['an empty envelope slot', concat(h, u32(0), u16(1), u32(0)), 'ERR_WIRE_LENGTH'],
    [
      'an envelope slot over MAX_ENVELOPE_BYTES',
      concat(h, u32(0), u16(1), u32(MAX_ENVELOPE_BYTES + 1)),
      'ERR_WIRE_LENGTH',
    ],
    [
      'fewer envelopes than counted',
      concat(h, u32(0), u16(2), u32(env.length), env),
      'ERR_WIRE_TRUNCATED',
    ],
    [
      'an envelope that is only a header (its own code)',
      concat(h, u32(0), u16(1), u32(4), header(1)),
      'ERR_WIRE_TRUNCATED',
    ],
    [
      'an envelope with a bad ciphertext size (its own code)',
      concat(h, u32(0), u16(1), u32(env.length), patch(env, env.length - 1076 - 4, 4, 1075)),
      'ERR_WIRE_LENGTH',
    ],
    [
      'an envelope of the wrong version (its own code)',
      concat(h, u32(0), u16(1), u32(env.length), patch(env, 2, 1, 2)),
      'ERR_WIRE_VERSION',
    ],
    ['a missing count', concat(h, u32(0)), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases)
    test(`fetch response - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeFetchResponse(bytes), code);
    });

  test('fetch response - encode refuses more than MAX_FETCH envelopes and a remaining count outside u32', () => {
    assert.throws(
      () =>
        encodeFetchResponse({
          remaining: 0,
          envelopes: Array.from({ length: MAX_FETCH + 1 }, () => env),
        }),
      RangeError,
    );
    for (const remaining of [-1, 2 ** 32, 0.5])
      assert.throws(
        () => encodeFetchResponse({ remaining, envelopes: [] }),
        RangeError,
        `${remaining}`,
      );
  });
});

describe('ack request', () => {
  test('ack request - round trips 1, 2 and MAX_FETCH ids', () => {
    for (const n of [1, 2, MAX_FETCH]) {
      const a = { id: ID, token: TOKEN, ids: ids(n) };
      const bytes = encodeAckRequest(a);
      assert.equal(bytes.length, 4 + 16 + 32 + 2 + 16 * n);
      assert.deepEqual(expectOk(decodeAckRequest(bytes)), a);
    }
  });

  const h = header(MessageType.AckRequest);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['a count of 0', concat(h, ID, TOKEN, u16(0)), 'ERR_WIRE_LENGTH'],
    ['a count of MAX_FETCH + 1', concat(h, ID, TOKEN, u16(MAX_FETCH + 1)), 'ERR_WIRE_LENGTH'],
    ['fewer ids than counted', concat(h, ID, TOKEN, u16(2), filled(16, 1)), 'ERR_WIRE_TRUNCATED'],
    ['a partial id', concat(h, ID, TOKEN, u16(1), filled(15, 1)), 'ERR_WIRE_TRUNCATED'],
    ['more ids than counted', concat(h, ID, TOKEN, u16(1), filled(32, 1)), 'ERR_WIRE_TRAILING'],
  ];
  for (const [what, bytes, code] of cases)
    test(`ack request - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeAckRequest(bytes), code);
    });

  test('ack request - encode refuses no ids, too many ids, or an id that is not 16 bytes', () => {
    assert.throws(() => encodeAckRequest({ id: ID, token: TOKEN, ids: [] }), RangeError);
    assert.throws(
      () => encodeAckRequest({ id: ID, token: TOKEN, ids: ids(MAX_FETCH + 1) }),
      RangeError,
    );
    assert.throws(
      () => encodeAckRequest({ id: ID, token: TOKEN, ids: [new Uint8Array(15)] }),
      RangeError,
    );
  });
});

describe('ack response', () => {
  test('ack response - round trips 0 and 65535 deleted', () => {
    for (const n of [0, 3, 0xffff]) {
      const bytes = encodeAckResponse(n);
      assert.deepEqual(bytes, concat(header(MessageType.AckResponse), u16(n)));
      assert.equal(expectOk(decodeAckResponse(bytes)), n);
    }
  });

  test('ack response - encode refuses a count outside u16', () => {
    for (const n of [-1, 0x10000, 2.5])
      assert.throws(() => encodeAckResponse(n), RangeError, `${n}`);
  });
});

describe('accepted', () => {
  test('accepted - round trips no ids and several ids in order', () => {
    for (const list of [[], ids(1), ids(256)]) {
      const bytes = encodeAccepted(list);
      assert.equal(bytes.length, 6 + 16 * list.length);
      assert.deepEqual(expectOk(decodeAccepted(bytes)), list);
    }
  });

  const h = header(MessageType.Accepted);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['fewer ids than counted', concat(h, u16(3), filled(32, 1)), 'ERR_WIRE_TRUNCATED'],
    ['more ids than counted', concat(h, u16(1), filled(32, 1)), 'ERR_WIRE_TRAILING'],
    ['a count of 65535 with no ids', concat(h, u16(0xffff)), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases)
    test(`accepted - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeAccepted(bytes), code);
    });

  test('accepted - encode refuses an id that is not 16 bytes', () => {
    assert.throws(() => encodeAccepted([new Uint8Array(15)]), RangeError);
    assert.throws(() => encodeAccepted([filled(16, 1), new Uint8Array(17)]), RangeError);
  });
});

describe('error reply', () => {
  test('error reply - every registered code round trips', () => {
    for (const code of ERROR_CODES) {
      const bytes = encodeErrorReply(code);
      assert.equal(bytes[4], code.length);
      assert.equal(expectOk(decodeErrorReply(bytes)), code);
      assert.ok(isErrorReply(bytes));
    }
  });

  const h = header(MessageType.ErrorReply);
  const ascii = (s: string) => new TextEncoder().encode(s);
  const withCode = (raw: Uint8Array) => concat(h, [raw.length], raw);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['an unknown code', withCode(ascii('ERR_NOT_A_CODE')), 'ERR_WIRE_FIELD'],
    ['a code in lower case', withCode(ascii('err_mailbox_auth')), 'ERR_WIRE_FIELD'],
    ['a code with a trailing space', withCode(ascii('ERR_MAILBOX_AUTH ')), 'ERR_WIRE_FIELD'],
    ['an inherited property name', withCode(ascii('constructor')), 'ERR_WIRE_FIELD'],
    ['__proto__', withCode(ascii('__proto__')), 'ERR_WIRE_FIELD'],
    ['an empty code', concat(h, [0]), 'ERR_WIRE_LENGTH'],
    ['a code of 65 bytes', withCode(repeat(65, 0x41)), 'ERR_WIRE_LENGTH'],
    ['a code longer than the input', concat(h, [20], ascii('ERR_')), 'ERR_WIRE_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases)
    test(`error reply - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeErrorReply(bytes), code);
    });

  test('error reply - isErrorReply looks only at magic and type, for any version', () => {
    const bytes = encodeErrorReply('ERR_SERVICE_INTERNAL');
    assert.ok(isErrorReply(patch(bytes, 2, 1, 9)));
    assert.ok(!isErrorReply(bytes.subarray(0, 3)));
    assert.ok(!isErrorReply(patch(bytes, 3, 1, MessageType.Accepted)));
    assert.ok(!isErrorReply(patch(bytes, 0, 1, 0)));
    assert.ok(!isErrorReply(encodeAckResponse(1)));
  });
});
