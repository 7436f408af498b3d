/**
 * Drives the real `komrade` binary (node client/dist/src/cli/main.js) against a relay on
 * real nats-server and redis-server: registration, meeting, messages both ways, a third
 * komrade who cannot write to contact mailboxes, interactive safety-number checks,
 * failures that must leave the keystore byte-identical, export and import.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  ContentKind,
  encodeContactAccept,
  encodeContactRequest,
  initCrypto,
  type ErrorCode,
} from '@komrade/protocol';
import {
  httpTransport,
  KomradeClient,
  newMailbox,
  openAccount,
  type AccountState,
} from '@komrade/client';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';

const MAIN = fileURLToPath(new URL('../../../client/dist/src/cli/main.js', import.meta.url));
const PASS = 'a long test passphrase';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

describe('komrade CLI end to end (real binary, real servers)', () => {
  let nats: RunningServer;
  let redis: RunningServer;
  let relay: TestRelay;
  let root: string;
  const home = (who: string): string => join(root, who);
  const runs: Run[] = [];

  /** Runs the CLI as a separate process with its own HOME and --home. */
  function komrade(
    who: string,
    args: readonly string[],
    o: { env?: Record<string, string>; input?: string; operator?: string } = {},
  ): Promise<Run> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN, '--home', home(who), ...args], {
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: root,
          KOMRADE_OPERATOR: o.operator ?? relay.operatorUrl,
          KOMRADE_PASSPHRASE: PASS,
          ...o.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        const r = { code, stdout, stderr, ms: Date.now() - t0 };
        runs.push(r);
        resolve(r);
      });
      child.stdin.end(o.input ?? '');
    });
  }

  async function ok(who: string, args: readonly string[]): Promise<unknown> {
    const r = await komrade(who, ['--json', ...args]);
    assert.equal(r.code, 0, `${who} ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', 'no spinners or noise in --json mode');
    return JSON.parse(r.stdout) as unknown;
  }

  /** A failing run: exit code, one clear line naming the error, no stack trace. */
  function assertClearFailure(r: Run, exit: number, message: RegExp): void {
    assert.equal(r.code, exit, r.stderr);
    assert.match(r.stderr, /^komrade: /);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+|Error:|node:internal/);
    assert.equal(r.stdout, '');
  }

  const keystoreOf = (who: string): Promise<Buffer> => readFile(join(home(who), 'keystore.kmk'));
  const account = async (who: string): Promise<AccountState> =>
    openAccount(new Uint8Array(await keystoreOf(who)), PASS).account;

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({ natsUrl: nats.url, redisUrl: redis.url });
    root = await mkdtemp(join(tmpdir(), 'komrade-cli-int-'));
  });

  after(async () => {
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
    if (root) await rm(root, { recursive: true, force: true });
    if (runs.length > 0) {
      const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
      process.stdout.write(
        `# ${runs.length} CLI runs, median ${ms[Math.floor(ms.length / 2)] ?? 0} ms, max ${ms[ms.length - 1] ?? 0} ms\n`,
      );
    }
  });

  test('cli - alice and bob register (names are case-folded); whois shows their verified entries', async () => {
    const a = (await ok('alice', ['register', 'Alice'])) as { name: string; fingerprint: string };
    assert.equal(a.name, 'alice');
    const b = (await ok('bob', ['register', '@bob'])) as { fingerprint: string };
    const w = (await ok('nobody', ['whois', 'ALICE'])) as { name: string; fingerprint: string };
    assert.deepEqual([w.name, w.fingerprint], ['alice', a.fingerprint]);
    assert.equal(
      ((await ok('alice', ['whois', 'bob'])) as { fingerprint: string }).fingerprint,
      b.fingerprint,
    );
    // registering the same name again from the same account changes nothing
    const before = await keystoreOf('alice');
    await ok('alice', ['register', 'alice']);
    assert.deepEqual(await keystoreOf('alice'), before);
  });

  test('cli - a taken name and a malformed name: clear message, non-zero exit, no keystore touched', async () => {
    const taken = await komrade('eve', ['register', 'alice']);
    assertClearFailure(taken, 3, /already registered by someone else/);
    // a refused registration leaves nothing behind
    assert.deepEqual(
      (await readdir(home('eve'))).filter((f) => f.startsWith('keystore.kmk')),
      [],
    );
    const malformed = await komrade('eve', ['register', 'a!']);
    assertClearFailure(malformed, 3, /3 to 32 characters/);

    // an existing account: its keystore is byte-identical after each refusal
    const before = await keystoreOf('bob');
    assertClearFailure(await komrade('bob', ['register', 'alice']), 3, /already has a name/);
    assertClearFailure(await komrade('bob', ['register', 'x']), 3, /3 to 32 characters/);
    assertClearFailure(await komrade('bob', ['meet', 'nobody_here']), 3, /Nobody has registered/);
    assert.deepEqual(await keystoreOf('bob'), before);
  });

  test('cli - keys are kept when the outcome of a registration is unknown; a taken name then leaves them byte-identical', async () => {
    // a relay whose directory service is down: the registration leaves, no answer comes back
    const lonelyNats = await startNats();
    const lonely = await startRelay({
      natsUrl: lonelyNats.url,
      redisUrl: redis.url,
      services: ['operator', 'sorter', 'purge'],
    });
    try {
      const r = await komrade('carol', ['register', 'carol'], { operator: lonely.operatorUrl });
      assertClearFailure(r, 5, /busy or partly down/);
    } finally {
      await lonely.stop();
      await lonelyNats.stop();
    }
    const kept = await keystoreOf('carol');
    assert.equal((await account('carol')).name, undefined);
    assertClearFailure(await komrade('carol', ['register', 'alice']), 3, /already registered/);
    assert.deepEqual(await keystoreOf('carol'), kept);
    // the retry registers with the very keys that were kept
    const c = (await ok('carol', ['register', 'carol'])) as { created: boolean };
    assert.equal(c.created, false);
    assert.equal((await account('carol')).name, 'carol');
  });

  test('cli - alice meets bob, bob sees the request and accepts', async () => {
    const m = (await ok('alice', ['meet', 'bob', '--note', 'hi bob, it is alice'])) as {
      state: string;
    };
    assert.equal(m.state, 'requested');
    const reqs = (await ok('bob', ['requests'])) as {
      requests: { name: string; note: string; fingerprint: string }[];
    };
    const aliceFp = ((await ok('bob', ['whois', 'alice'])) as { fingerprint: string }).fingerprint;
    assert.deepEqual(
      reqs.requests.map((r) => [r.name, r.note, r.fingerprint]),
      [['alice', 'hi bob, it is alice', aliceFp]],
    );
    assert.equal(
      ((await ok('bob', ['accept', 'alice'])) as { state: string }).state,
      'established',
    );
    assertClearFailure(await komrade('bob', ['accept', 'alice_not']), 3, /No pending request/);
  });

  test('cli - alice and bob exchange messages both ways and read them with inbox --json', async () => {
    await ok('bob', ['send', 'alice', 'hello', 'alice']);
    await ok('alice', ['send', 'bob', 'hello bob 👋']);
    await ok('alice', ['send', 'Bob', 'second line']);
    await ok('bob', ['send', 'alice', 'how are you?']);
    type Inbox = { messages: { from: string; text: string }[]; rejected: number };
    const atBob = (await ok('bob', ['inbox'])) as Inbox;
    assert.deepEqual(
      atBob.messages.map((m) => [m.from, m.text]),
      [
        ['alice', 'hello bob 👋'],
        ['alice', 'second line'],
      ],
    );
    const atAlice = (await ok('alice', ['inbox'])) as Inbox;
    assert.deepEqual(
      atAlice.messages.map((m) => [m.from, m.text]),
      [
        ['bob', 'hello alice'],
        ['bob', 'how are you?'],
      ],
    );
    assert.equal(atAlice.rejected + atBob.rejected, 0);
    // shown once: the relay deleted them on ack, and the device forgets them once shown
    assert.deepEqual(((await ok('alice', ['inbox'])) as Inbox).messages, []);
    const contacts = (await ok('alice', ['contacts'])) as { name: string; state: string }[];
    assert.deepEqual(
      contacts.map((c) => [c.name, c.state]),
      [['bob', 'established']],
    );
  });

  test('cli - mallory cannot write to their contact mailboxes; her mail is refused and never shown', async () => {
    await ok('mallory', ['register', 'mallory']);
    assertClearFailure(
      await komrade('mallory', ['send', 'alice', 'hi']),
      3,
      /No contact by that name/,
    );
    // Suppose mallory learned the mailbox ids (she cannot from the relay): she still cannot write.
    const m = await account('mallory');
    const a = await account('alice');
    const b = await account('bob');
    const aliceForBob = a.contacts.find((c) => c.name === 'bob');
    const bobForAlice = b.contacts.find((c) => c.name === 'alice');
    assert.ok(aliceForBob && bobForAlice);
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
    const enc = new TextEncoder();
    const toAlice = {
      address: aliceForBob.mine.address,
      publicKey: aliceForBob.mine.keys.publicKey,
    };
    const toBob = { address: bobForAlice.mine.address, publicKey: bobForAlice.mine.keys.publicKey };
    const fake = newMailbox('test');
    await c.send(m.identity, [
      { to: toAlice, kind: ContentKind.Text, content: enc.encode('this is bob, trust me') },
      {
        to: toAlice,
        kind: ContentKind.ContactAccept,
        content: encodeContactAccept({
          name: 'bob',
          mailbox: fake.address,
          mailboxKey: fake.keys.publicKey,
        }),
      },
      { to: toBob, kind: ContentKind.Text, content: enc.encode('this is alice') },
    ]);
    // and a contact request to carol claiming to be bob: the directory says bob has another key
    const carol = await c.lookupName('carol');
    await c.send(m.identity, [
      {
        to: { address: carol.intro, publicKey: carol.introKey },
        kind: ContentKind.ContactRequest,
        content: encodeContactRequest({
          name: 'bob',
          mailbox: fake.address,
          mailboxKey: fake.keys.publicKey,
          note: 'bob here',
        }),
      },
    ]);
    await ok('bob', ['send', 'alice', 'the real bob']);

    type Inbox = {
      messages: { from: string; text: string }[];
      rejected: number;
      rejectedCodes: ErrorCode[];
    };
    const atAlice = (await ok('alice', ['inbox'])) as Inbox;
    assert.deepEqual(
      atAlice.messages.map((x) => [x.from, x.text]),
      [['bob', 'the real bob']],
    );
    assert.deepEqual(atAlice.rejectedCodes, ['ERR_SEAL_WRONG_SENDER', 'ERR_SEAL_WRONG_SENDER']);
    const atBob = (await ok('bob', ['inbox'])) as Inbox;
    assert.deepEqual(atBob.messages, []);
    assert.deepEqual(atBob.rejectedCodes, ['ERR_SEAL_WRONG_SENDER']);
    // alice still writes to bob's real mailbox: the forged accept changed nothing
    assert.deepEqual(
      (await account('alice')).contacts.find((x) => x.name === 'bob')?.theirs,
      aliceForBob.theirs,
    );
    const atCarol = (await ok('carol', ['requests'])) as { requests: unknown[]; rejected: number };
    assert.deepEqual(atCarol.requests, []);
    assert.equal(atCarol.rejected, 1);
    // human output says so too
    await c.send(m.identity, [
      { to: toAlice, kind: ContentKind.Text, content: enc.encode('again') },
    ]);
    const human = await komrade('alice', ['inbox']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /No new messages\.\n1 message\(s\) refused/);
  });

  test('cli - safety numbers: the same 60 digits on both sides; interactive check matches, a wrong phrase does not', async () => {
    type V = { safetyNumber: string; verified: boolean };
    const atAlice = (await ok('alice', ['verify', 'bob'])) as V;
    const atBob = (await ok('bob', ['verify', 'alice'])) as V;
    assert.equal(atAlice.safetyNumber, atBob.safetyNumber);
    assert.match(atAlice.safetyNumber, /^(\d{5} ){11}\d{5}$/);

    const both = (phraseA: string, phraseB: string) =>
      Promise.all([
        komrade('alice', ['--json', 'verify', 'bob', '--interactive', '--timeout', '60'], {
          input: `${phraseA}\n`,
        }),
        komrade('bob', ['--json', 'verify', 'alice', '-i', '--timeout', '60'], {
          input: `${phraseB}\n`,
        }),
      ]);
    const [ma, mb] = await both('blue tractor', 'blue tractor');
    assert.equal(ma.code, 0, ma.stderr);
    assert.equal(mb.code, 0, mb.stderr);
    assert.deepEqual(JSON.parse(ma.stdout), { name: 'bob', match: true, verified: true });
    assert.equal(((await ok('bob', ['verify', 'alice'])) as V).verified, true);

    const [xa, xb] = await both('blue tractor', 'red tractor');
    for (const r of [xa, xb]) {
      assert.equal(r.code, 6, r.stderr);
      assert.equal(
        (JSON.parse(r.stderr) as { error: { code: string } }).error.code,
        'ERR_VERIFY_MISMATCH',
      );
    }
    assert.equal(((await ok('alice', ['verify', 'bob'])) as V).verified, false);
  });

  test('cli - a wrong passphrase and an unreachable operator: clear message, non-zero exit, keystore byte-identical', async () => {
    await ok('bob', ['send', 'alice', 'waiting for you']);
    const before = await keystoreOf('alice');
    const wrong = await komrade('alice', ['inbox'], {
      env: { KOMRADE_PASSPHRASE: 'not the passphrase' },
    });
    assertClearFailure(wrong, 4, /Wrong passphrase/);
    assert.deepEqual(await keystoreOf('alice'), before);
    for (const args of [
      ['inbox'],
      ['send', 'bob', 'hi'],
      ['meet', 'carol'],
      ['requests'],
      ['whois', 'bob'],
    ]) {
      const r = await komrade('alice', args, { operator: 'http://127.0.0.1:1' });
      assertClearFailure(r, 5, /Cannot reach the operator at http:\/\/127\.0\.0\.1:1/);
      assert.deepEqual(await keystoreOf('alice'), before, args.join(' '));
    }
    // nothing was lost: the message is still there once the operator is back
    const inbox = (await ok('alice', ['inbox'])) as { messages: { text: string }[] };
    assert.deepEqual(
      inbox.messages.map((m) => m.text),
      ['waiting for you'],
    );
  });

  test('cli - export and import: the account moves to another home and keeps talking', async () => {
    const file = join(root, 'alice.komrade');
    await ok('alice', ['export', file]);
    assertClearFailure(await komrade('alice', ['export', file]), 3, /already/);
    assertClearFailure(
      await komrade('alice2', ['import', file], {
        env: { KOMRADE_PASSPHRASE: 'wrong passphrase' },
      }),
      4,
      /Wrong passphrase/,
    );
    const imported = (await ok('alice2', ['import', file])) as { name: string; contacts: number };
    assert.deepEqual([imported.name, imported.contacts], ['alice', 1]);
    assertClearFailure(await komrade('alice2', ['import', file]), 3, /already an account/);
    await ok('bob', ['send', 'alice', 'to the new device']);
    const inbox = (await ok('alice2', ['inbox'])) as { messages: { from: string; text: string }[] };
    assert.deepEqual(
      inbox.messages.map((m) => [m.from, m.text]),
      [['bob', 'to the new device']],
    );
    await ok('alice2', ['send', 'bob', 'from the new device']);
    const atBob = (await ok('bob', ['inbox'])) as { messages: { text: string }[] };
    assert.deepEqual(
      atBob.messages.map((m) => m.text),
      ['from the new device'],
    );
  });
});
