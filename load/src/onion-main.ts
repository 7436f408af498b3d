// `npm run bench:onion [-- --requests N --concurrency C]`: posting through the onion
// service next to posting directly, as a ratio (results in load/results/onion-latest.json).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runOnionBench } from './onion-bench.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '20' },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
if (
  !Number.isInteger(requests) ||
  requests < 4 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1
) {
  console.error('usage: npm run bench:onion -- [--requests N>=4] [--concurrency C>=1]');
  process.exitCode = 2;
} else {
  const r = await runOnionBench({
    requests,
    concurrency,
    resultsDir: fileURLToPath(new URL('../../results/', import.meta.url)),
    say: (m) => {
      console.log(`bench:onion: ${m}`);
    },
  });
  const row = (name: string, f: typeof r.direct) =>
    `${name.padEnd(8)} ${f.sequentialRps.toFixed(1).padStart(9)} ${f.p50Ms.toFixed(2).padStart(8)} ${f.p95Ms.toFixed(2).padStart(8)} ${f.p99Ms.toFixed(2).padStart(8)} ${f.concurrentRps.toFixed(1).padStart(10)}`;
  console.log(
    `\npath       seq req/s  p50 ms   p95 ms   p99 ms   conc req/s (${String(concurrency)} in flight)`,
  );
  console.log(row('direct', r.direct));
  console.log(row('onion', r.onion));
  console.log(
    `ratio onion/direct: sequential ${r.ratios.sequentialRps.toFixed(3)}, concurrent ${r.ratios.concurrentRps.toFixed(3)}, p50 x${r.ratios.p50.toFixed(1)}`,
  );
}
