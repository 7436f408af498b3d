import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { socksTransport } from '@komrade/client/node';
import { isAlive, readClusterFile, waitUntil, type ClusterFile } from '../src/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `npm start -- --onion-testnet` until cluster.json names an onion address. */
async function startWithOnion(
  stateDir: string,
): Promise<{ npm: ChildProcess; info: ClusterFile; output: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, KOMRADE_STATE_DIR: stateDir };
  delete env['NODE_TEST_CONTEXT'];
  const npm = spawn('npm', ['start', '--', '--onion-testnet'], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  npm.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const info = await waitUntil(
    async () => {
      if (npm.exitCode !== null)
        throw new Error(`npm start exited ${String(npm.exitCode)}:\n${out}`);
      const c = await readClusterFile(stateDir);
      return c?.onion ? c : undefined;
    },
    {
      what: 'npm start -- --onion-testnet to record an onion address',
      timeoutMs: 240_000,
      intervalMs: 500,
    },
  );
  return { npm, info, output: () => out };
}

async function stop(npm: ChildProcess): Promise<number | null> {
  if (npm.exitCode !== null) return npm.exitCode;
  const exited = new Promise<number | null>((r) =>
    npm.once('exit', (code) => {
      r(code);
    }),
  );
  npm.kill('SIGTERM');
  return exited;
}

describe('npm start -- --onion-testnet', () => {
  const dirs: string[] = [];
  const running: ChildProcess[] = [];
  after(async () => {
    for (const n of running) if (n.exitCode === null && n.pid) process.kill(-n.pid, 'SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('puts the operator behind an onion service reachable through Tor, with a stable address, and leaves nothing behind', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'komrade-onion-'));
    dirs.push(stateDir);
    const first = await startWithOnion(stateDir);
    running.push(first.npm);
    const onion = first.info.onion;
    assert.ok(onion);
    assert.match(onion.address, /^[a-z2-7]{56}\.onion$/);
    assert.match(
      first.output(),
      new RegExp(onion.address.replace('.', '\\.')),
      'the address is printed',
    );
    assert.equal(statSync(join(stateDir, 'tor', 'operator')).mode & 0o777, 0o700);

    // a client through Tor reaches the operator by its onion name only
    const t = socksTransport({
      baseUrl: `http://${onion.address}`,
      socksUrl: onion.socksUrl,
      isolationKey: 'test',
      timeoutMs: 30_000,
      attempts: 60,
    });
    const info = (await t.getJson('/v1/info')) as { relay?: string };
    assert.equal(info.relay, first.info.relay);

    const torPids = [...onion.pids];
    assert.equal(await stop(first.npm), 0);
    for (const pid of torPids) assert.equal(isAlive(pid), false, `tor ${String(pid)} survived`);

    // the onion keys were kept: a restart serves the same address
    const second = await startWithOnion(stateDir);
    running.push(second.npm);
    assert.equal(second.info.onion?.address, onion.address);
    assert.equal(await stop(second.npm), 0);
  });
});
