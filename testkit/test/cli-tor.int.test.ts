/**
 * The real `komrade` binary reaching the operator only through a private Tor network
 * (`--tor socks5h://...` and the onion address): register, meet, accept, message.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { initCrypto } from '@komrade/protocol';
import { KomradeClient } from '@komrade/client';
import { socksTransport } from '@komrade/client/node';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';
import { startTorNetwork, type TorNetwork } from '../src/tor-network.js';

const MAIN = fileURLToPath(new URL('../../../client/dist/src/cli/main.js', import.meta.url));

describe('komrade CLI through a private Tor network (onion operator only)', () => {
  let nats: RunningServer;
  let redis: RunningServer;
  let relay: TestRelay;
  let tor: TorNetwork;
  let root: string;

  function komrade(
    who: string,
    args: readonly string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          MAIN,
          '--json',
          '--home',
          join(root, who),
          '--operator',
          `http://${tor.onionHost}`,
          '--tor',
          `socks5h://127.0.0.1:${tor.socksPort}`,
          ...args,
        ],
        {
          env: {
            PATH: process.env['PATH'] ?? '',
            HOME: root,
            KOMRADE_PASSPHRASE: 'tor test passphrase',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function ok(who: string, args: readonly string[]): Promise<unknown> {
    const r = await komrade(who, args);
    assert.equal(r.code, 0, `${who} ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as unknown;
  }

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({ natsUrl: nats.url, redisUrl: redis.url });
    tor = await startTorNetwork({ target: Number(new URL(relay.operatorUrl).port) });
    root = await mkdtemp(join(tmpdir(), 'komrade-cli-tor-'));
    // wait (with the SDK's patient retries) until the onion descriptor is published, so
    // the CLI's default retry budget is about the relay, not about Tor bootstrapping
    await new KomradeClient({
      transport: socksTransport({
        baseUrl: `http://${tor.onionHost}`,
        socksUrl: `socks5h://127.0.0.1:${tor.socksPort}`,
        isolationKey: 'warm-up',
        timeoutMs: 30_000,
        attempts: 60,
      }),
    }).relayInfo();
  });

  after(async () => {
    await tor?.stop();
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('cli over tor - register, meet, accept and a message each way, only through the onion service', async () => {
    await ok('alice', ['register', 'alice']);
    await ok('bob', ['register', 'bob']);
    await ok('alice', ['meet', 'bob']);
    await ok('bob', ['accept', 'alice']);
    await ok('bob', ['send', 'alice', 'hello through tor']);
    await ok('alice', ['send', 'bob', 'and back']);
    const atAlice = (await ok('alice', ['inbox'])) as { messages: { text: string }[] };
    const atBob = (await ok('bob', ['inbox'])) as { messages: { text: string }[] };
    assert.deepEqual(
      atAlice.messages.map((m) => m.text),
      ['hello through tor'],
    );
    assert.deepEqual(
      atBob.messages.map((m) => m.text),
      ['and back'],
    );
  });

  test('cli over tor - an onion operator without --tor is refused, never tried in the clear', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [MAIN, '--operator', `http://${tor.onionHost}`, 'whois', 'bob'],
        {
          env: { PATH: process.env['PATH'] ?? '', HOME: root },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        resolve({ code, stderr });
      });
    });
    assert.equal(r.code, 5);
    assert.match(r.stderr, /onion addresses need --tor/);
  });
});
