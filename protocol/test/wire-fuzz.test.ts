/**
 * Property tests for every wire decoder: random bytes and mutated valid encodings must
 * never make a decoder throw, every answer is ok or a registered error code, valid
 * encodings round-trip, and anything a decoder accepts is the one canonical encoding of
 * what it decoded (no malleability).
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CODECS, headedRandomArb, isWellFormedResult, mutatedArb } from './fixtures.js';

const RUNS = { numRuns: 10_000 } as const;

for (const c of CODECS) {
  describe(`fuzz ${c.name}`, () => {
    test(`${c.name} - decode never throws on random bytes and answers ok or a registered code`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
          assert.ok(isWellFormedResult(c.decode(bytes)));
        }),
        RUNS,
      );
    });

    test(`${c.name} - decode never throws on random bytes behind a correct header`, () => {
      fc.assert(
        fc.property(headedRandomArb(c.type), (bytes) => {
          assert.ok(isWellFormedResult(c.decode(bytes)));
        }),
        RUNS,
      );
    });

    test(`${c.name} - decode never throws on mutated valid encodings, and what it accepts is canonical`, () => {
      fc.assert(
        fc.property(mutatedArb(c), (bytes) => {
          const res = c.decode(bytes);
          assert.ok(isWellFormedResult(res));
          if (res.ok) assert.deepEqual(c.reencode(bytes), bytes);
        }),
        RUNS,
      );
    });

    test(`${c.name} - encode(decode(x)) equals x for every valid x`, () => {
      fc.assert(
        fc.property(c.valid, ({ bytes }) => {
          const res = c.decode(bytes);
          assert.ok(res.ok, res.ok ? '' : res.code);
          assert.deepEqual(c.reencode(bytes), bytes);
        }),
        RUNS,
      );
    });
  });
}
