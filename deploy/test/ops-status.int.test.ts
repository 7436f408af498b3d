import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { SERVICES, SUBJECTS } from '@komrade/protocol';
import { connect } from '@nats-io/transport-node';
import {
  findFreePort,
  isAlive,
  startLocalCluster,
  startNatsServer,
  waitUntil,
  type LocalCluster,
} from '../src/index.js';
import type { StatusReport } from '../src/ops-status.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const STATUS_MAIN = fileURLToPath(new URL('../src/ops-status-main.js', import.meta.url));
// Generous: the machine may be busy with other tests.
const START_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 60_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of this test minus anything that would point the command elsewhere. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([k]) => !k.startsWith('KOMRADE_') && k !== 'NODE_TEST_CONTEXT',
  );
  return { ...Object.fromEntries(kept), ...extra };
}

/** Runs a command to its end (killed after COMMAND_TIMEOUT_MS) and collects its output. */
function runCommand(
  command: string,
  args: readonly string[],
  o: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: o.cwd ?? repoRoot,
      env: o.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const status = (args: readonly string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
  runCommand(process.execPath, [STATUS_MAIN, ...args], o);

function parseReport(r: Run): StatusReport {
  try {
    return JSON.parse(r.stdout) as StatusReport;
  } catch {
    assert.fail(`not JSON (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** Every field of every instance is present and plausible. */
function assertSane(report: StatusReport): void {
  const ids = new Set<string>();
  for (const i of report.instances) {
    assert.ok((SERVICES as readonly string[]).includes(i.service), i.service);
    assert.match(i.instance, /^[0-9a-f]{8}$/);
    assert.ok(!ids.has(i.instance), `instance ${i.instance} listed once`);
    ids.add(i.instance);
    assert.match(i.version, /^\d+\.\d+\.\d+/);
    assert.equal(i.ok, true, i.service);
    assert.equal(i.ready, true, i.service);
    assert.ok(Number.isInteger(i.uptimeSec) && i.uptimeSec >= 0, `${i.service} uptime`);
    assert.ok(i.uptimeSec < 24 * 3600, `${i.service} started during this test`);
    assert.ok(Number.isInteger(i.rssBytes) && i.rssBytes > 0, `${i.service} RSS`);
    assert.ok(Number.isInteger(i.requests) && i.requests >= 0, `${i.service} requests`);
    assert.ok(Number.isInteger(i.errors) && i.errors >= 0 && i.errors <= i.requests);
    let sum = 0;
    for (const e of Object.values(i.endpoints)) sum += e.requests;
    assert.equal(i.requests, sum, `${i.service} requests add up over its endpoints`);
  }
}

describe('komrade-ops status against a running local cluster', () => {
  let stateDir: string;
  let cluster: LocalCluster | undefined;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'komrade-ops-status-'));
    cluster = await startLocalCluster({
      stateDir,
      env: cleanEnv(),
      startTimeoutMs: START_TIMEOUT_MS,
    });
  });

  after(async () => {
    await cluster?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('--nats URL --json lists all four services with sane fields', async () => {
    const c = cluster;
    assert.ok(c);
    // One request the sorter handles (garbage: it answers with an error reply), so a
    // request count is known to move.
    const nc = await connect({ servers: c.info.nats.url });
    try {
      await nc.request(SUBJECTS.mailboxFetch, new Uint8Array([1, 2, 3]), { timeout: 10_000 });
    } finally {
      await nc.close();
    }

    const r = await status(['--nats', c.info.nats.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = parseReport(r);
    assert.deepEqual([...new Set(report.instances.map((i) => i.service))], [...SERVICES]);
    assert.equal(report.instances.length, SERVICES.length, 'one instance of each');
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.notReady, []);
    assert.equal(report.malformed, 0);
    assertSane(report);
    const sorter = report.instances.find((i) => i.service === 'sorter');
    assert.ok(sorter);
    assert.ok((sorter.endpoints[SUBJECTS.mailboxFetch]?.requests ?? 0) >= 1, 'fetch counted');
    assert.ok(sorter.requests >= 1);
  });

  test('the tables name every service and endpoint; NATS is found through cluster.json', async () => {
    // `npm run status` in the repository, with no URL but the state directory
    const r = await runCommand('npm', ['run', '--silent', 'status', '--', '--endpoints'], {
      env: cleanEnv({ KOMRADE_STATE_DIR: stateDir }),
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.split('\n');
    assert.match(lines[0] ?? '', /^SERVICE\s+INSTANCE\s+VERSION\s+UPTIME\s+READY\s+REQUESTS/);
    for (const service of SERVICES)
      assert.ok(
        lines.some((l) =>
          new RegExp(`^${service}\\s+[0-9a-f]{8}\\s+\\d+\\.\\d+\\.\\d+\\s`).test(l),
        ),
        `a row for ${service}:\n${r.stdout}`,
      );
    assert.match(r.stdout, /4 instance\(s\) of 4 service\(s\) answered/);
    // --endpoints: the fetch the first test sent is listed under the sorter
    assert.match(r.stdout, /^INSTANCE\s+ENDPOINT\s+REQUESTS\s+ERRORS\s+AVG MS$/m);
    assert.match(
      r.stdout,
      /^sorter\/[0-9a-f]{8}\s+komrade\.v1\.mailbox\.fetch\s+\d+\s+\d+\s+[\d.]+$/m,
    );
  });

  test('KOMRADE_NATS_URLS is used, and --nats wins over it', async () => {
    const c = cluster;
    assert.ok(c);
    const fromEnv = await status(['--json'], {
      env: cleanEnv({ KOMRADE_NATS_URLS: c.info.nats.url }),
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal(parseReport(fromEnv).instances.length, SERVICES.length);
    const port = await findFreePort();
    const overridden = await status(['--nats', `nats://127.0.0.1:${String(port)}`], {
      env: cleanEnv({ KOMRADE_NATS_URLS: c.info.nats.url }),
    });
    assert.equal(overridden.code, 1);
    assert.match(overridden.stderr, /cannot reach NATS/);
  });

  // Last: it stops a service of the shared cluster.
  test('a service that stopped is reported missing, exit code 3', async () => {
    const c = cluster;
    assert.ok(c);
    const pid = c.info.services.vouch.pid;
    process.kill(pid, 'SIGTERM');
    await waitUntil(async () => Promise.resolve(isAlive(pid) ? undefined : true), {
      what: 'vouch to exit',
      timeoutMs: 30_000,
    });
    const r = await status(['--nats', c.info.nats.url, '--json']);
    assert.equal(r.code, 3, r.stderr);
    const report = parseReport(r);
    assert.deepEqual(report.missing, ['vouch']);
    assert.deepEqual(report.instances.map((i) => i.service).sort(), [
      'operator',
      'purge',
      'sorter',
    ]);
    assert.match(r.stderr, /no vouch instance answered/);
  });
});

describe('komrade-ops status failures', () => {
  test('NATS unreachable: a clear message and exit code 1', async () => {
    const port = await findFreePort();
    const r = await status(['--nats', `nats://127.0.0.1:${String(port)}`]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+ \(from --nats\)/);
  });

  test('NATS up but no service answers: exit code 1', async () => {
    const nats = await startNatsServer();
    try {
      const r = await status(['--nats', nats.url]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /No service instance answered komrade\.v1\.ops\.ping/);
      const j = await status(['--nats', nats.url, '--json']);
      assert.equal(j.code, 1);
      assert.deepEqual(parseReport(j).instances, []);
    } finally {
      await nats.stop();
    }
  });

  test('no URL anywhere: says how to give one, exit code 1', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'komrade-ops-empty-'));
    try {
      const r = await status([], { cwd: empty });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no NATS URL: pass --nats/);
      assert.ok(r.stderr.includes(join(empty, '.komrade', 'cluster.json')), r.stderr);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('bad usage: exit code 2', async () => {
    const r = await status(['--no-such-option']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option/);
    const bad = await status(['--nats', 'http://127.0.0.1:4222']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a nats:\/\/host:port URL/);
  });
});
