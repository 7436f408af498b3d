import * as assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ERROR_CODES, errorInfo } from '@komrade/protocol';
import { resolveHome, resolveOperator, safeText, type CliIo } from '../src/cli/io.js';
import { CLI_MESSAGES, EXIT, exitCodeFor, messageFor } from '../src/cli/messages.js';
import { DEFAULT_POLICY, quorumOption } from '../src/cli/commands/collectives.js';
import { parseTtl } from '../src/cli/commands/posts.js';
import { run } from '../src/cli/program.js';

describe('cli messages', () => {
  test('cli - every registered error code has a one-line message', () => {
    for (const code of ERROR_CODES) {
      const m = CLI_MESSAGES[code];
      assert.equal(typeof m, 'string', code);
      assert.ok(m.trim().length > 10, code);
      assert.ok(!m.includes('\n'), code);
      assert.doesNotMatch(m, /stack|exception|undefined|\[object/i, code);
    }
    assert.deepEqual(Object.keys(CLI_MESSAGES).sort(), [...ERROR_CODES].sort());
  });

  test('cli - every code maps to a documented non-zero exit code', () => {
    const documented = new Set<number>(Object.values(EXIT));
    for (const code of ERROR_CODES) {
      const x = exitCodeFor(code);
      assert.ok(x > 0 && documented.has(x), `${code}: ${x}`);
    }
    assert.equal(exitCodeFor('ERR_NAME_TAKEN'), EXIT.refused);
    assert.equal(exitCodeFor('ERR_NAME_INVALID'), EXIT.refused);
    assert.equal(exitCodeFor('ERR_KEYSTORE_PASSPHRASE'), EXIT.keystore);
    assert.equal(exitCodeFor('ERR_CLIENT_UNREACHABLE'), EXIT.unavailable);
    assert.equal(exitCodeFor('ERR_VERIFY_MISMATCH'), EXIT.mismatch);
    // retryable relay-side trouble is "try again later"
    for (const code of ERROR_CODES)
      if (errorInfo(code).retryable && code.startsWith('ERR_SERVICE_'))
        assert.equal(exitCodeFor(code), EXIT.unavailable, code);
  });

  test('cli - the operator address is filled into messages that mention it', () => {
    assert.match(messageFor('ERR_CLIENT_UNREACHABLE', { operator: 'http://x:1' }), /http:\/\/x:1/);
    assert.doesNotMatch(messageFor('ERR_CLIENT_UNREACHABLE'), /\{operator\}/);
  });

  test('cli - text from others cannot smuggle terminal escapes or bidi overrides', () => {
    assert.equal(safeText('a\u001b[2Jb\r\u202ec\td\ne'), 'a\ufffd[2Jb\ufffd\ufffdc\td\ne');
  });
});

/** An in-memory process surface; stdin is not a terminal unless asked. */
function fakeIo(
  env: Record<string, string | undefined> = {},
): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  return {
    stdout,
    stderr,
    stdin,
    env,
    platform: 'linux',
    out: () => out,
    err: () => err,
  };
}

describe('cli runs (no operator needed)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'komrade-cli-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('cli - --help and --version exit 0; every command has --help', async () => {
    const io = fakeIo();
    assert.equal(await run(['--help'], io), 0);
    assert.match(io.out(), /register <name>/);
    assert.match(io.out(), /Exit codes:/);
    for (const c of [
      'register',
      'whois',
      'meet',
      'requests',
      'accept',
      'contacts',
      'verify',
      'send',
      'inbox',
      'export',
      'import',
      'join',
      'vouch',
      'leave',
      'vouches',
      'post',
      'feed',
      'collective',
      'collective create',
      'collective show',
      'collective vote',
    ]) {
      const cio = fakeIo();
      assert.equal(await run([...c.split(' '), '--help'], cio), 0, c);
      assert.match(cio.out(), new RegExp(`Usage: komrade ${c}`), c);
    }
    const v = fakeIo();
    assert.equal(await run(['--version'], v), 0);
    assert.match(v.out(), /\d+\.\d+\.\d+/);
  });

  test('cli - usage errors exit 2', async () => {
    for (const argv of [
      ['bogus'],
      ['register'],
      ['send', 'bob'],
      ['verify', 'bob', '--timeout', 'soon'],
      ['vouch', 'portland'],
      ['post'],
      ['post', 'hi', '--ttl', 'forever'],
      ['post', 'hi', '--image', '/no/such/file.png'],
      ['post', ''],
      ['post', '  ', '--to', '@portland'],
      ['send', 'bob', ''],
      ['feed', '--limit', '0'],
      ['collective', 'create'],
    ]) {
      const io = fakeIo();
      assert.equal(await run(argv, io), EXIT.usage, argv.join(' '));
      assert.ok(io.err().length > 0);
    }
  });

  test('cli - a malformed name fails at once, exit 3, and creates nothing', async () => {
    const home = join(root, 'malformed');
    const io = fakeIo({ KOMRADE_PASSPHRASE: 'long enough passphrase' });
    assert.equal(await run(['--home', home, 'register', 'no spaces'], io), EXIT.refused);
    assert.equal(io.err(), `komrade: ${CLI_MESSAGES.ERR_NAME_INVALID}\n`);
    await assert.rejects(readdir(home));
    const r = fakeIo();
    assert.equal(await run(['--home', home, 'register', 'admin'], r), EXIT.refused);
    assert.match(r.err(), /reserved/);
  });

  test('cli - no account: exit 4 with a hint; no passphrase and no terminal: exit 4', async () => {
    const home = join(root, 'empty');
    const io = fakeIo({ KOMRADE_PASSPHRASE: 'long enough passphrase' });
    assert.equal(await run(['--home', home, 'contacts', '--no-fetch'], io), EXIT.keystore);
    assert.match(io.err(), /komrade register/);
    const np = fakeIo({});
    assert.equal(await run(['--home', home, 'register', 'alice'], np), EXIT.keystore);
    assert.match(np.err(), /KOMRADE_PASSPHRASE/);
  });

  test('cli - --json errors are one JSON object on stderr and nothing on stdout', async () => {
    const io = fakeIo({ KOMRADE_PASSPHRASE: 'long enough passphrase' });
    assert.equal(
      await run(['--json', '--home', join(root, 'j'), 'register', 'x'], io),
      EXIT.refused,
    );
    assert.equal(io.out(), '');
    const j = JSON.parse(io.err()) as { error: { code: string; message: string } };
    assert.equal(j.error.code, 'ERR_NAME_INVALID');
  });

  test('cli - an unreachable operator is exit 5 with the address in the message', async () => {
    const io = fakeIo({ KOMRADE_OPERATOR: 'http://127.0.0.1:1' });
    assert.equal(await run(['whois', 'alice'], io), EXIT.unavailable);
    assert.match(io.err(), /Cannot reach the operator at http:\/\/127\.0\.0\.1:1/);
  });

  test('cli - home and operator resolution: flag, then environment, then default', () => {
    const io = fakeIo({ HOME: '/home/k' });
    assert.equal(resolveHome(io, undefined), '/home/k/.config/komrade');
    assert.equal(
      resolveHome({ ...io, env: { HOME: '/home/k', XDG_CONFIG_HOME: '/cfg' } }, undefined),
      '/cfg/komrade',
    );
    assert.equal(resolveHome({ ...io, env: { KOMRADE_HOME: '/k' } }, undefined), '/k');
    assert.equal(resolveHome({ ...io, env: { KOMRADE_HOME: '/k' } }, '/flag'), '/flag');
    const state = mkdtempSync(join(tmpdir(), 'komrade-state-'));
    const noCluster = { ...io, env: { KOMRADE_STATE_DIR: state } };
    assert.equal(resolveOperator(noCluster, undefined), 'http://127.0.0.1:8080');
    // a relay started by npm start in this directory is found through its cluster.json
    writeFileSync(
      join(state, 'cluster.json'),
      JSON.stringify({ operator: { url: 'http://127.0.0.1:41234' } }),
    );
    assert.equal(resolveOperator(noCluster, undefined), 'http://127.0.0.1:41234');
    assert.equal(
      resolveOperator(
        { ...io, env: { KOMRADE_STATE_DIR: state, KOMRADE_OPERATOR: 'http://o' } },
        undefined,
      ),
      'http://o',
    );
    rmSync(state, { recursive: true, force: true });
    assert.equal(
      resolveOperator({ ...io, env: { KOMRADE_OPERATOR: 'http://o' } }, undefined),
      'http://o',
    );
    assert.equal(
      resolveOperator({ ...io, env: { KOMRADE_OPERATOR: 'http://o' } }, 'http://f'),
      'http://f',
    );
  });
});

describe('cli collective and post options', () => {
  test('cli - lifetimes read as 3d, 12h, 30m, 90s or seconds', () => {
    assert.equal(parseTtl('3d'), 3 * 86_400);
    assert.equal(parseTtl('12h'), 12 * 3600);
    assert.equal(parseTtl('30m'), 1800);
    assert.equal(parseTtl('90s'), 90);
    assert.equal(parseTtl('45'), 45);
    for (const bad of ['', '0', '0d', '3w', '-1d', '1.5h', 'soon'])
      assert.equal(parseTtl(bad), undefined, bad);
  });

  test('cli - quorum policies parse, and a bad one is ERR_COLLECTIVE_POLICY (exit 3)', async () => {
    assert.deepEqual(quorumOption('fixed:2'), { kind: 'fixed', count: 2 });
    assert.deepEqual(quorumOption(DEFAULT_POLICY), {
      kind: 'steps',
      steps: [{ upTo: 10, quorum: 1 }],
      div: 10,
      add: 1,
    });
    assert.throws(
      () => quorumOption('majority'),
      (e: unknown) => (e as { code?: string }).code === 'ERR_COLLECTIVE_POLICY',
    );
    const io = fakeIo();
    assert.equal(
      await run(['collective', 'create', 'portland', '--quorum', 'fraction:3/2'], io),
      EXIT.refused,
    );
    assert.match(io.err(), /^komrade: Invalid quorum policy/);
  });
});
