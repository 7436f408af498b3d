import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ContentKind,
  MAX_PLAINTEXT,
  MessageType,
  PLAINTEXT_BUCKETS,
  bucketFor,
  decodeSealedInner,
  decodeSignedBody,
  encodeSealedInner,
  encodeSignedBody,
  innerSize,
  type ErrorCode,
  type SignedBody,
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
  u32,
} from './fixtures.js';

describe('padding buckets', () => {
  test('padding - four plaintext buckets, smallest first, the largest is MAX_PLAINTEXT', () => {
    assert.deepEqual([...PLAINTEXT_BUCKETS], [1024, 4096, 16384, 65536]);
    assert.equal(MAX_PLAINTEXT, 65536);
  });

  test('padding - bucketFor picks the smallest bucket that fits, or none', () => {
    const table: [number, number | undefined][] = [
      [0, 1024],
      [1, 1024],
      [1024, 1024],
      [1025, 4096],
      [4096, 4096],
      [4097, 16384],
      [16385, 65536],
      [65536, 65536],
      [65537, undefined],
    ];
    for (const [n, b] of table) assert.equal(bucketFor(n), b, `n=${n}`);
  });
});

describe('sealed inner', () => {
  const signed = filled(300, 1);

  test('sealed inner - round trips and pads with zeros to the smallest fitting bucket', () => {
    const bytes = encodeSealedInner({ senderKey: KEY45, signed });
    assert.ok(bytes);
    assert.equal(bytes.length, 1024);
    assert.deepEqual(bytes.subarray(0, 4), header(MessageType.SealedInner));
    assert.equal(bytes[4], 45);
    assert.deepEqual(bytes.subarray(50, 54), Uint8Array.from(u32(300)));
    assert.ok(bytes.subarray(innerSize(300)).every((b) => b === 0));
    const d = expectOk(decodeSealedInner(bytes));
    assert.deepEqual(d.senderKey, KEY45);
    assert.deepEqual(d.signed, signed);
  });

  test('sealed inner - innerSize is header, key and length prefix plus the signed body', () => {
    assert.equal(innerSize(0), 54);
    assert.equal(innerSize(100), 154);
  });

  test('sealed inner - a body that exactly fills a bucket takes that bucket; one more byte the next', () => {
    for (const bucket of PLAINTEXT_BUCKETS) {
      const exact = bucket - innerSize(0);
      const fit = encodeSealedInner({ senderKey: KEY45, signed: repeat(exact, 7) });
      assert.equal(fit?.length, bucket);
      expectOk(decodeSealedInner(fit ?? new Uint8Array()));
      const over = encodeSealedInner({ senderKey: KEY45, signed: repeat(exact + 1, 7) });
      assert.equal(over?.length, bucketFor(bucket + 1));
    }
  });

  test('sealed inner - encode answers undefined when nothing fits the largest bucket', () => {
    const tooBig = repeat(MAX_PLAINTEXT - innerSize(0) + 1, 1);
    assert.equal(encodeSealedInner({ senderKey: KEY45, signed: tooBig }), undefined);
  });

  test('sealed inner - encode refuses a wrong-size sender key and an empty signed body', () => {
    assert.throws(() => encodeSealedInner({ senderKey: new Uint8Array(44), signed }), RangeError);
    assert.throws(
      () => encodeSealedInner({ senderKey: KEY45, signed: new Uint8Array(0) }),
      RangeError,
    );
  });

  const good = encodeSealedInner({ senderKey: KEY45, signed }) ?? new Uint8Array();
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['an empty input', new Uint8Array(0), 'ERR_WIRE_PADDING'],
    ['a size one below a bucket', good.subarray(0, 1023), 'ERR_WIRE_PADDING'],
    ['a size one above a bucket', concat(good, [0]), 'ERR_WIRE_PADDING'],
    ['a size between buckets', concat(good, repeat(1000, 0)), 'ERR_WIRE_PADDING'],
    ['a non-zero last padding byte', patch(good, 1023, 1, 1), 'ERR_WIRE_PADDING'],
    ['a non-zero first padding byte', patch(good, innerSize(300), 1, 0x80), 'ERR_WIRE_PADDING'],
    ['a sender key of 44 bytes', patch(good, 4, 1, 44), 'ERR_WIRE_LENGTH'],
    ['a sender key of 46 bytes', patch(good, 4, 1, 46), 'ERR_WIRE_LENGTH'],
    ['an empty signed body', patch(good, 50, 4, 0), 'ERR_WIRE_LENGTH'],
    [
      'a signed body longer than MAX_PLAINTEXT',
      patch(good, 50, 4, MAX_PLAINTEXT + 1),
      'ERR_WIRE_LENGTH',
    ],
    ['a signed body longer than the input', patch(good, 50, 4, 2000), 'ERR_WIRE_TRUNCATED'],
    ['a wrong magic on a bucket-size input', patch(good, 0, 2, 0x4b4e), 'ERR_WIRE_MAGIC'],
    ['a bucket of zeros', new Uint8Array(4096), 'ERR_WIRE_MAGIC'],
  ];
  for (const [what, bytes, code] of cases)
    test(`sealed inner - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeSealedInner(bytes), code);
    });

  test('sealed inner - the size check comes before the header check', () => {
    expectFail(decodeSealedInner(Uint8Array.from([0, 0, 0, 0])), 'ERR_WIRE_PADDING');
  });
});

describe('signed body', () => {
  const body: SignedBody = {
    to: ADDRESS,
    timestampMs: 1_795_000_000_123,
    messageId: filled(16, 2),
    kind: ContentKind.Text,
    content: new TextEncoder().encode('hello'),
  };
  const R = ADDRESS.relay.length;
  const OFF = { ts: 21 + R, id: 29 + R, kind: 45 + R, contentLen: 46 + R };

  test('signed body - round trips every content kind', () => {
    for (const kind of Object.values(ContentKind)) {
      const d = expectOk(decodeSignedBody(encodeSignedBody({ ...body, kind })));
      assert.deepEqual(d, { ...body, kind });
    }
  });

  test('signed body - content kinds are pinned', () => {
    assert.deepEqual(
      { ...ContentKind },
      {
        Text: 0x01,
        ContactRequest: 0x02,
        ContactAccept: 0x03,
        Verify: 0x04,
        Post: 0x10,
        CollectiveKey: 0x11,
      },
    );
  });

  test('signed body - empty content and MAX_PLAINTEXT content round trip', () => {
    for (const content of [new Uint8Array(0), filled(MAX_PLAINTEXT, 3)]) {
      const d = expectOk(decodeSignedBody(encodeSignedBody({ ...body, content })));
      assert.deepEqual(d.content, content);
    }
  });

  test('signed body - timestamps 0 and Number.MAX_SAFE_INTEGER round trip', () => {
    for (const timestampMs of [0, Number.MAX_SAFE_INTEGER]) {
      const d = expectOk(decodeSignedBody(encodeSignedBody({ ...body, timestampMs })));
      assert.equal(d.timestampMs, timestampMs);
    }
  });

  test('signed body - fields sit at the offsets the spec draws', () => {
    const b = encodeSignedBody(body);
    assert.deepEqual(b.subarray(OFF.id, OFF.kind), body.messageId);
    assert.equal(b[OFF.kind], ContentKind.Text);
    assert.deepEqual(b.subarray(OFF.contentLen, OFF.contentLen + 4), Uint8Array.from(u32(5)));
    assert.equal(b.length, OFF.contentLen + 4 + 5);
  });

  const good = encodeSignedBody(body);
  const cases: [string, Uint8Array, ErrorCode][] = [
    ['an unknown content kind 0x00', patch(good, OFF.kind, 1, 0x00), 'ERR_WIRE_FIELD'],
    ['an unknown content kind 0x05', patch(good, OFF.kind, 1, 0x05), 'ERR_WIRE_FIELD'],
    ['an unknown content kind 0xff', patch(good, OFF.kind, 1, 0xff), 'ERR_WIRE_FIELD'],
    ['a timestamp above 2^53 - 1', patch(good, OFF.ts, 4, 0x200000), 'ERR_WIRE_FIELD'],
    [
      'a timestamp of 2^64 - 1',
      patch(patch(good, OFF.ts, 4, 0xffffffff), OFF.ts + 4, 4, 0xffffffff),
      'ERR_WIRE_FIELD',
    ],
    [
      'content longer than MAX_PLAINTEXT',
      patch(good, OFF.contentLen, 4, MAX_PLAINTEXT + 1),
      'ERR_WIRE_LENGTH',
    ],
    ['a content length of 2^32 - 1', patch(good, OFF.contentLen, 4, 0xffffffff), 'ERR_WIRE_LENGTH'],
    ['content longer than the input', patch(good, OFF.contentLen, 4, 6), 'ERR_WIRE_TRUNCATED'],
    ['content shorter than the input', patch(good, OFF.contentLen, 4, 4), 'ERR_WIRE_TRAILING'],
    ['an empty relay name', patch(good, 4, 1, 0), 'ERR_WIRE_LENGTH'],
    ['an invalid relay name', patch(good, 5, 1, 0x2d), 'ERR_WIRE_FIELD'],
  ];
  for (const [what, bytes, code] of cases)
    test(`signed body - decode rejects ${what} with ${code}`, () => {
      expectFail(decodeSignedBody(bytes), code);
    });

  test('signed body - encode refuses values the decoder would reject', () => {
    const bad: [string, Partial<Record<keyof SignedBody, unknown>>][] = [
      ['message id of 15 bytes', { messageId: new Uint8Array(15) }],
      ['unknown kind', { kind: 0x05 }],
      ['content over MAX_PLAINTEXT', { content: new Uint8Array(MAX_PLAINTEXT + 1) }],
      ['timestamp 2^53', { timestampMs: 2 ** 53 }],
      ['negative timestamp', { timestampMs: -1 }],
      ['fractional timestamp', { timestampMs: 1.5 }],
      ['invalid relay', { to: { relay: '-x', id: ADDRESS.id } }],
    ];
    for (const [what, change] of bad)
      assert.throws(() => encodeSignedBody({ ...body, ...change } as SignedBody), RangeError, what);
  });
});
