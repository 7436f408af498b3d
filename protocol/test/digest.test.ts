import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { sha256Of } from '../src/digest.js';

test('digest - the fast native SHA-256 path agrees with the portable one', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 2048 }), { maxLength: 4 }), (parts) => {
      const h = sha256.create();
      for (const p of parts) h.update(p);
      assert.deepEqual(sha256Of(...parts), h.digest());
    }),
    { numRuns: 2000 },
  );
});
