import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Ledger,
  metricSum,
  parseBenchArgs,
  parseRedisBenchmarkCsv,
  rssSeries,
} from '../src/index.js';

describe('bench building blocks', () => {
  test('redis-benchmark --csv - the rps column of each test is read', () => {
    const csv = [
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
      '"RPUSH","909090.94","0.855","0.088","0.783","1.279","3.255","3.311"',
      '"LPOP","1538461.50","0.454","0.224","0.447","0.583","0.751","0.799"',
      '',
    ].join('\n');
    assert.deepEqual(parseRedisBenchmarkCsv(csv), { RPUSH: 909090.94, LPOP: 1538461.5 });
  });

  test('prometheus text - samples matching the labels are summed', () => {
    const text = [
      '# HELP komrade_sorter_messages_total Messages taken from the mail stream, by outcome',
      '# TYPE komrade_sorter_messages_total counter',
      'komrade_sorter_messages_total{outcome="stored"} 120 1700000000000',
      'komrade_sorter_messages_total{outcome="duplicate"} 3',
      'komrade_sorter_messages_total_extra{outcome="stored"} 999',
    ].join('\n');
    assert.equal(metricSum(text, 'komrade_sorter_messages_total', { outcome: 'stored' }), 120);
    assert.equal(metricSum(text, 'komrade_sorter_messages_total'), 123);
    assert.equal(metricSum(text, 'komrade_missing'), undefined);
  });

  test('rss series - flat memory is flat, steady growth is growth', () => {
    const MiB = 1024 * 1024;
    const flat = Array.from({ length: 60 }, (_, i) => [i * 10, 100 * MiB + (i % 3) * MiB] as const);
    assert.equal(rssSeries(flat).grew, false);
    const growing = Array.from({ length: 60 }, (_, i) => [i * 10, 100 * MiB + i * MiB] as const);
    const g = rssSeries(growing);
    assert.equal(g.grew, true);
    assert.ok(Math.abs(g.growthMiBPerMin - 6) < 0.01);
    assert.equal(g.startMiB, 100);
    assert.equal(g.maxMiB, 159);
  });

  test('ledger - lost, duplicated and unexpected do not depend on order', () => {
    const id = (n: number): Uint8Array => new Uint8Array(16).fill(n);
    const l = new Ledger();
    l.fetchedId(id(1)); // fetched before its 202 was recorded (soak)
    l.accept(id(1));
    l.accept(id(2));
    l.accept(id(3));
    l.accept(id(3)); // a 202 recorded twice is one envelope
    l.fetchedId(id(2));
    l.fetchedId(id(2));
    l.fetchedId(id(9));
    assert.deepEqual(l.verdict(), { lost: 1, duplicated: 1, unexpected: 1 });
    assert.equal(l.accepted, 3);
  });

  test('flags - quick preset, overrides, and bad values rejected', () => {
    const q = parseBenchArgs(['--quick'], '/tmp/r');
    assert.equal(q.quick, true);
    assert.equal(q.soakSeconds, 8);
    assert.equal(q.durationSec, 3);
    assert.equal(q.collectiveMembers, 100);
    assert.equal(q.postageBits, 0);
    const f = parseBenchArgs(['--duration', '7', '--clients', '10', '--soak-seconds', '30'], '/r');
    assert.equal(f.durationSec, 7);
    assert.equal(f.clients, 10);
    assert.equal(f.soakSeconds, 30);
    assert.equal(f.resultsDir, '/r');
    assert.throws(() => parseBenchArgs(['--clients', 'many'], '/r'), /--clients/);
    assert.throws(() => parseBenchArgs(['--postage-bits', '40'], '/r'), /--postage-bits/);
    assert.throws(() => parseBenchArgs(['--nope'], '/r'));
  });

  test('k6 scenarios - type-check against @types/k6 (tsc -p load/k6)', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
    const r = spawnSync(process.execPath, [tsc, '-p', 'load/k6'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `tsc -p load/k6 failed:\n${r.stdout}${r.stderr}`);
  });
});
