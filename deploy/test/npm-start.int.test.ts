import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { SERVICES } from '@komrade/protocol';
import { connect } from '@nats-io/transport-node';
import {
  CLUSTER_FILE_VERSION,
  clusterPids,
  isAlive,
  readClusterFile,
  requestHealth,
  waitUntil,
  type ClusterFile,
} from '../src/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
// Generous: on a fresh machine `npm start` builds the workspace before starting.
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

/** PIDs of every live descendant of `root` (Linux /proc). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    }),
  );
}

describe('npm start', () => {
  let stateDir: string;
  let npm: ChildProcess;
  let output = '';
  let cluster: ClusterFile | undefined;
  const seen = new Set<number>();

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'komrade-npm-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, KOMRADE_STATE_DIR: stateDir };
    delete env['NODE_TEST_CONTEXT'];
    npm = spawn('npm', ['start'], {
      cwd: repoRoot,
      env,
      detached: true, // its own process group, so after() can take down the whole tree
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    npm.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  });

  after(async () => {
    const pids = [...seen, ...(cluster ? clusterPids(cluster) : [])];
    if (npm.pid !== undefined && npm.exitCode === null && npm.signalCode === null) {
      try {
        process.kill(-npm.pid, 'SIGKILL');
      } catch {
        // group already gone
      }
    }
    for (const pid of pids) {
      try {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(stateDir, { recursive: true, force: true });
  });

  test('brings up every service, then stops on SIGTERM leaving no process behind', async (t) => {
    const exited = exitOf(npm);
    cluster = await waitUntil(() => readClusterFile(stateDir), {
      what: `${stateDir}/cluster.json`,
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 200,
      failFast: () =>
        npm.exitCode !== null || npm.signalCode !== null
          ? new Error(`npm start exited early:\n${output}`)
          : undefined,
    });
    const c = cluster;
    if (npm.pid !== undefined) for (const pid of descendants(npm.pid)) seen.add(pid);
    for (const pid of clusterPids(c)) {
      seen.add(pid);
      for (const d of descendants(pid)) seen.add(d);
    }

    await t.test('cluster.json describes a running relay', () => {
      assert.equal(c.version, CLUSTER_FILE_VERSION);
      assert.equal(c.relay, 'local');
      assert.match(c.operator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(c.nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
      assert.match(c.redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(Object.keys(c.services).sort(), [...SERVICES].sort());
      assert.equal(c.operator.pid, c.services.operator.pid);
      for (const pid of clusterPids(c)) assert.equal(isAlive(pid), true, `pid ${String(pid)} runs`);
    });

    await t.test('every service answers its health check over NATS', async () => {
      const nc = await connect({ servers: c.nats.url });
      try {
        for (const service of SERVICES) {
          const health = await requestHealth(nc, service, 5000);
          assert.ok(health, `${service} answered`);
          assert.equal(health.service, service);
          assert.equal(health.ok, true);
          assert.equal(health.ready, true);
        }
      } finally {
        await nc.close();
      }
    });

    await t.test('every recorded metrics endpoint serves Prometheus metrics', async () => {
      const served: string[] = [];
      for (const service of SERVICES) {
        const m = c.services[service].metrics;
        // A service without telemetry is recorded as null (vouch, until it has metrics).
        if (m === null) continue;
        assert.equal(m.url, `http://127.0.0.1:${String(m.port)}/metrics`, service);
        const res = await fetch(m.url);
        assert.equal(res.status, 200, `${service} ${m.url}`);
        assert.match(
          await res.text(),
          /^komrade_process_resident_memory_bytes \d+/m,
          `${service} exports its resident memory`,
        );
        served.push(service);
      }
      // operator, sorter and purge have telemetry today: they must not lose their endpoint
      for (const service of ['operator', 'sorter', 'purge'] as const)
        assert.ok(served.includes(service), `${service} has a metrics endpoint`);
      const ports = SERVICES.flatMap((s) => c.services[s].metrics?.port ?? []);
      assert.equal(new Set(ports).size, ports.length, 'each service has its own port');
    });

    await t.test('the operator answers GET /healthz and GET /v1/info', async () => {
      const healthz = await fetch(`${c.operator.url}/healthz`);
      assert.equal(healthz.status, 200);
      assert.deepEqual(await healthz.json(), { ok: true });
      const info = await fetch(`${c.operator.url}/v1/info`);
      assert.equal(info.status, 200);
      const body = (await info.json()) as { relay?: unknown };
      assert.equal(body.relay, c.relay);
    });

    await t.test('SIGTERM stops everything and npm exits with 0', async () => {
      assert.ok(npm.pid !== undefined);
      process.kill(npm.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (npm.pid !== undefined) process.kill(-npm.pid, 'SIGKILL');
      }, STOP_TIMEOUT_MS);
      const status = await exited;
      clearTimeout(timer);
      assert.deepEqual(status, { code: 0, signal: null }, output);
      assert.equal(existsSync(join(stateDir, 'cluster.json')), false, 'cluster.json removed');
      // Give the kernel a moment to reap after the last exit was reported.
      const survivors = await waitUntil(
        async () => {
          const alive = [...seen].filter(isAlive);
          return Promise.resolve(alive.length === 0 ? alive : undefined);
        },
        { what: 'every process to be gone', timeoutMs: 10_000 },
      ).catch(() => [...seen].filter(isAlive));
      assert.deepEqual(survivors, []);
      assert.match(output, /Stopped\./);
    });
  });
});
