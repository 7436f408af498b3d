import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runOnionBench } from '../src/onion-bench.js';

test('bench:onion - measures posting through the onion path next to the direct path, as ratios of the same run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'komrade-onion-bench-'));
  try {
    const r = await runOnionBench({ requests: 40, concurrency: 4, resultsDir: dir });
    for (const f of [r.direct, r.onion])
      for (const v of Object.values(f))
        assert.ok(Number.isFinite(v) && v > 0, 'every figure is a positive number');
    assert.equal(r.ratios.sequentialRps, r.onion.sequentialRps / r.direct.sequentialRps);
    assert.equal(r.ratios.concurrentRps, r.onion.concurrentRps / r.direct.concurrentRps);
    assert.equal(r.ratios.p50, r.onion.p50Ms / r.direct.p50Ms);
    const saved = JSON.parse(await readFile(join(dir, 'onion-latest.json'), 'utf8')) as typeof r;
    assert.deepEqual(saved.ratios, r.ratios);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
