import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  MAX_DIFFICULTY,
  POSTAGE_SIZE,
  checkPostage,
  decodeEnvelope,
  encodeEnvelope,
  leadingZeroBits,
  mintPostage,
  mintPostageAsync,
  postageBits,
  withPostage,
} from '../src/index.js';
import { ADDRESS, filled, sampleEnvelope } from './fixtures.js';

const ID = filled(16, 77);

describe('postage', () => {
  test('postage - leadingZeroBits counts zero bits from the most significant bit of byte 0', () => {
    const table: [number[], number][] = [
      [[], 0],
      [[0x80], 0],
      [[0xff, 0x00], 0],
      [[0x40], 1],
      [[0x01], 7],
      [[0x00], 8],
      [[0x00, 0x80], 8],
      [[0x00, 0x01], 15],
      [[0x00, 0x00, 0x0f], 20],
      [[0x00, 0x00, 0x00, 0x00], 32],
      [new Array<number>(32).fill(0), 256],
      [[...new Array<number>(31).fill(0), 1], 255],
    ];
    for (const [bytes, n] of table)
      assert.equal(leadingZeroBits(Uint8Array.from(bytes)), n, bytes.join(','));
  });

  test('postage - postageBits is the zero-bit count of SHA-256("KM-POSTAGE-1" || id || nonce)', () => {
    const nonce = filled(POSTAGE_SIZE, 3);
    const d = createHash('sha256').update('KM-POSTAGE-1').update(ID).update(nonce).digest();
    assert.equal(postageBits(ID, nonce), leadingZeroBits(new Uint8Array(d)));
  });

  test('postage - minted stamps check at their difficulty, for difficulties 0 to 16', () => {
    for (const d of [0, 1, 4, 8, 12, 16]) {
      const nonce = mintPostage(ID, d);
      assert.equal(nonce.length, POSTAGE_SIZE);
      assert.ok(postageBits(ID, nonce) >= d, `difficulty ${d}`);
      assert.ok(checkPostage(ID, nonce, d), `difficulty ${d}`);
      assert.ok(checkPostage(ID, nonce, 0));
    }
  });

  test('postage - a stamp fails a difficulty above the bits it has', () => {
    const nonce = mintPostage(ID, 8);
    const bits = postageBits(ID, nonce);
    assert.ok(checkPostage(ID, nonce, bits));
    assert.ok(!checkPostage(ID, nonce, bits + 1));
  });

  test('postage - a difficulty-16 stamp for one envelope id does not validate other ids', () => {
    const nonce = mintPostage(ID, 16);
    assert.ok(checkPostage(ID, nonce, 16));
    // Each other id passes with probability 2^-16; these fixed ids make the test deterministic.
    for (let i = 0; i < 32; i++) {
      const other = filled(16, 1000 + i);
      assert.ok(!checkPostage(other, nonce, 16), `id ${i}`);
    }
    const oneBitOff = ID.slice();
    oneBitOff[15] = (oneBitOff[15] ?? 0) ^ 1;
    assert.ok(!checkPostage(oneBitOff, nonce, 16));
  });

  test('postage - a nonce that is not 8 bytes never checks, even at difficulty 0', () => {
    for (const n of [0, 7, 9, 16]) assert.ok(!checkPostage(ID, new Uint8Array(n), 0), `${n} bytes`);
  });

  test('postage - difficulty outside 0..MAX_DIFFICULTY is refused', async () => {
    assert.equal(MAX_DIFFICULTY, 28);
    assert.throws(() => mintPostage(ID, -1), RangeError);
    assert.throws(() => mintPostage(ID, MAX_DIFFICULTY + 1), RangeError);
    await assert.rejects(mintPostageAsync(ID, -1), RangeError);
    await assert.rejects(mintPostageAsync(ID, MAX_DIFFICULTY + 1), RangeError);
  });

  test('postage - mintPostageAsync finds the same stamp as mintPostage and reports progress', async () => {
    const progress: [number, number][] = [];
    const nonce = await mintPostageAsync(ID, 12, {
      slice: 64,
      onProgress: (tried, expected) => progress.push([tried, expected]),
    });
    assert.deepEqual(nonce, mintPostage(ID, 12));
    assert.ok(checkPostage(ID, nonce, 12));
    assert.ok(progress.length > 0, 'no progress reported');
    progress.forEach(([tried, expected], i) => {
      assert.equal(expected, 2 ** 12);
      assert.equal(tried, (i + 1) * 64);
    });
  });

  test('postage - mintPostageAsync stops with an AbortError when its signal aborts', async () => {
    const ac = new AbortController();
    let calls = 0;
    const started = Date.now();
    await assert.rejects(
      mintPostageAsync(ID, MAX_DIFFICULTY, {
        signal: ac.signal,
        slice: 256,
        onProgress: () => {
          calls++;
          if (calls === 3) ac.abort();
        },
      }),
      (e: unknown) => e instanceof Error && e.name === 'AbortError',
    );
    assert.equal(calls, 3, 'stopped at the first check after the abort');
    assert.ok(Date.now() - started < 5000);
  });

  test('postage - mintPostageAsync with an already aborted signal rejects', async () => {
    await assert.rejects(
      mintPostageAsync(ID, MAX_DIFFICULTY, { signal: AbortSignal.abort(), slice: 16 }),
      (e: unknown) => e instanceof Error && e.name === 'AbortError',
    );
  });

  test('postage - mintPostageAsync yields to the event loop while it works', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await mintPostageAsync(ID, 14, { slice: 128 });
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'timers never ran during minting');
  });

  test('postage - a stamp minted for an envelope id checks after withPostage, and the id is unchanged', () => {
    const bytes = encodeEnvelope(sampleEnvelope());
    const before = decodeEnvelope(bytes);
    assert.ok(before.ok);
    const nonce = mintPostage(before.value.id, 10);
    const stamped = decodeEnvelope(withPostage(bytes, ADDRESS.relay.length, nonce));
    assert.ok(stamped.ok);
    assert.deepEqual(stamped.value.id, before.value.id);
    assert.deepEqual(stamped.value.postage, nonce);
    assert.ok(checkPostage(stamped.value.id, stamped.value.postage, 10));
  });
});
