import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REQUIRED_FIELDS, type BenchSummary } from '../src/index.js';

const main = fileURLToPath(new URL('../src/main.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, out });
    });
  });
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

describe('npm run bench -- --quick (real nats-server, redis-server, services as processes)', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('bench quick - writes a complete summary with zero loss and same-run ratios', async () => {
    dir = await mkdtemp(join(tmpdir(), 'komrade-bench-'));
    const r = await run(['--quick', '--results', dir, '--no-progress']);
    assert.equal(r.code, 0, `bench failed:\n${r.out}`);
    assert.match(r.out, /ingest, 1 envelope\/POST/, 'the terminal table is printed');

    const files = await readdir(dir);
    assert.ok(files.includes('latest.json'));
    assert.ok(
      files.some((f) => /^\d{4}-\d\d-\d\dT.*\.json$/.test(f)),
      'a timestamped copy',
    );
    const s = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8')) as BenchSummary;

    for (const k of REQUIRED_FIELDS) assert.ok(k in s, `latest.json lacks ${k}`);
    for (const k of [
      'ingestRps',
      'bareRps',
      'ingestRatio',
      'p99MsAtHalfLoad',
      'redisRpushRps',
      'fetchAckMps',
      'deliveredDps',
      'natsPublishRps',
      'redisBytesPerMessage',
      'postageHashesPerSec',
    ] as const)
      assert.ok(
        isFiniteNumber(s[k]) && s[k] > 0,
        `${k} must be a positive number, got ${String(s[k])}`,
      );

    // ratios come from the figures of this very run
    assert.equal(s.ingestRatio, s.ingestRps / s.bareRps);
    assert.equal(s.deliveredRatio, s.deliveredDps / s.redisRpushRps);
    assert.equal(s.batchedIngestRatio, s.batchedIngestEps / s.natsPublishRps);
    assert.equal(s.fetchAckRatio, s.fetchAckMps / s.redisLpopRps);
    assert.equal(s.fanoutEmulation.ratio, s.fanoutEmulation.deliveriesPerSec / s.redisRpushRps);
    assert.equal(
      s.fanoutWriteCeiling.ratio,
      s.fanoutWriteCeiling.deliveriesPerSec / s.redisRpushRps,
    );
    assert.ok(s.fanoutWriteCeiling.deliveriesPerSec > 0, 'the write-once ceiling is measured');
    for (const l of s.latency) assert.equal(l.p99Ratio, l.komrade.p99Ms / l.bare.p99Ms);
    assert.equal(s.p99MsAtHalfLoad, s.latency.find((l) => l.load === 0.5)?.komrade.p99Ms);
    // fan-out: measured through a real collective, its ratio from this run, nothing lost
    assert.ok(
      isFiniteNumber(s.fanoutDps) && s.fanoutDps > 0,
      `fanoutDps must be a positive number, got ${String(s.fanoutDps)} (${s.fanoutNote})`,
    );
    assert.equal(s.fanoutRatio, s.fanoutDps / s.redisRpushRps);
    assert.ok(s.fanout, 'the fan-out phase is described');
    assert.equal(s.fanout.members, 100, 'quick mode uses 100 members');
    assert.equal(s.fanout.stored, s.fanout.members * s.fanout.posts);
    assert.equal(s.fanout.writes, s.fanout.members * s.fanout.posts);
    assert.equal(s.fanout.wrongMailboxes, 0);

    // nothing lost, nothing twice, nothing left behind
    assert.equal(s.lost, 0);
    assert.equal(s.duplicated, 0);
    assert.ok(s.loss.accepted > 0);
    assert.equal(s.loss.checkpoint.balanced, true);
    assert.equal(
      s.loss.checkpoint.accepted,
      s.loss.checkpoint.delivered + s.loss.checkpoint.stillQueued,
    );
    assert.deepEqual(s.loss.leftover, { redisMailKeys: 0, jetstreamMessages: 0 });

    // soak RSS for every relay service, and the machine
    for (const svc of ['operator', 'sorter', 'purge', 'vouch']) {
      const rss = s.soak.rss[svc];
      assert.ok(rss && rss.samples >= 2 && rss.startMiB > 0, `RSS samples for ${svc}`);
      assert.equal(typeof rss.grew, 'boolean');
    }
    assert.equal(s.machine.cpus > 0 && typeof s.machine.node === 'string', true);
    assert.ok(isFiniteNumber(s.machine.memoryBytes));
    assert.ok(!Number.isNaN(Date.parse(s.machine.date)));
    assert.equal(s.quick, true);
  });
});
