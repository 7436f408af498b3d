import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { initCrypto, KomradeError, type ErrorCode } from '@komrade/protocol';
import {
  deserializeAccount,
  newAccount,
  serializeAccount,
  type AccountState,
} from '../src/sdk/account.js';
import {
  Keystore,
  keystorePaths,
  withKeystoreLock,
  writeFileAtomic,
} from '../src/sdk/keystore-file.js';
import { openAccount, sealAccount } from '../src/sdk/keystore-format.js';
import { newMailbox } from '../src/sdk/mailbox.js';

const PASS = 'correct horse battery';

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof KomradeError && e.code === code);
}

function throwsWith(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof KomradeError && e.code === code);
}

/** An account with something in every field. */
function fullAccount(): AccountState {
  const a = newAccount('relay.test', 1_795_000_000_000);
  a.name = 'alice';
  const bob = newMailbox('relay.test');
  a.contacts.push({
    name: 'bob',
    identityKey: bob.keys.publicKey,
    mine: newMailbox('relay.test'),
    theirs: { address: bob.address, publicKey: bob.keys.publicKey },
    state: 'established',
    verified: true,
    sinceMs: 1,
  });
  a.contacts.push({
    name: 'carol',
    identityKey: bob.keys.publicKey,
    mine: newMailbox('relay.test'),
    theirs: undefined,
    state: 'requested',
    verified: false,
    sinceMs: 2,
  });
  a.requests.push({
    name: 'dave',
    identityKey: bob.keys.publicKey,
    theirs: { address: bob.address, publicKey: bob.keys.publicKey },
    note: 'hello ✊ "quoted"',
    receivedAtMs: 3,
  });
  a.inbox.push({
    from: 'bob',
    text: 'hi\nthere',
    sentAtMs: 4,
    receivedAtMs: 5,
    id: 'ab'.repeat(16),
  });
  a.verifySteps.push({
    from: 'bob',
    runId: new Uint8Array(16).fill(1),
    step: 1,
    payload: new Uint8Array(192).fill(2),
    sentAtMs: 6,
  });
  a.replay.push(['cd'.repeat(16), 7]);
  return a;
}

describe('account serialization', () => {
  before(async () => {
    await initCrypto();
  });

  test('account - every field survives serialize then deserialize', () => {
    const a = fullAccount();
    assert.deepEqual(deserializeAccount(serializeAccount(a)), a);
    const empty = newAccount('r', 0);
    assert.deepEqual(deserializeAccount(serializeAccount(empty)), empty);
  });

  test('account - damaged or foreign JSON is refused, never half-loaded', () => {
    const good = JSON.parse(new TextDecoder().decode(serializeAccount(fullAccount()))) as Record<
      string,
      unknown
    >;
    const variants: unknown[] = [
      null,
      [],
      'x',
      { ...good, version: 2 },
      { ...good, relay: 'BAD RELAY' },
      { ...good, name: 'Alice' },
      { ...good, contacts: 'none' },
      { ...good, contacts: [{}] },
      { ...good, identity: { publicKey: 'AAAA', privateKey: 'AAAA' } },
      { ...good, inbox: [{ from: 'bob', text: 1, sentAtMs: 0, receivedAtMs: 0, id: 'x' }] },
      { ...good, replay: [['zz', 1]] },
      { ...good, createdAtMs: -1 },
      { ...good, createdAtMs: 1.5 },
    ];
    for (const v of variants)
      assert.equal(
        deserializeAccount(new TextEncoder().encode(JSON.stringify(v))),
        undefined,
        JSON.stringify(v).slice(0, 60),
      );
    assert.equal(deserializeAccount(new Uint8Array([0xff, 0xfe])), undefined);
  });

  test('account - property: deserialize never throws on random or mutated bytes', () => {
    const good = serializeAccount(fullAccount());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
        deserializeAccount(b);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const b = good.slice();
        b[at] = byte;
        deserializeAccount(b);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('keystore container', () => {
  before(async () => {
    await initCrypto();
  });

  test('keystore - seal then open gives the account back; reseal needs no passphrase', () => {
    const a = fullAccount();
    const { bytes, unlocked } = sealAccount(a, PASS, 'keystore');
    const opened = openAccount(bytes, PASS);
    assert.deepEqual(opened.account, a);
    assert.equal(opened.kind, 'keystore');
    a.inbox = [];
    const again = unlocked.reseal(a);
    assert.deepEqual(openAccount(again, PASS).account.inbox, []);
    // the wrapped key (and so the passphrase) is unchanged by a reseal
    const keyLen = ((bytes[6] ?? 0) << 8) | (bytes[7] ?? 0);
    assert.deepEqual(again.subarray(0, 8 + keyLen), bytes.subarray(0, 8 + keyLen));
  });

  test('keystore - a wrong passphrase is ERR_KEYSTORE_PASSPHRASE', () => {
    const { bytes } = sealAccount(fullAccount(), PASS, 'keystore');
    throwsWith(() => openAccount(bytes, 'correct horse battery!'), 'ERR_KEYSTORE_PASSPHRASE');
  });

  test('keystore - passphrases are compared in NFC form', () => {
    const { bytes } = sealAccount(newAccount('r', 0), 'caf\u00e9 au lait', 'keystore');
    assert.ok(openAccount(bytes, 'cafe\u0301 au lait').account);
  });

  test('keystore - short passphrases are refused at creation', () => {
    throwsWith(
      () => sealAccount(newAccount('r', 0), '1234567', 'keystore'),
      'ERR_KEYSTORE_WEAK_PASSPHRASE',
    );
  });

  test('keystore - damage is detected: magic, format version, lengths, tampered body', () => {
    const { bytes } = sealAccount(newAccount('r', 0), PASS, 'keystore');
    const at = (i: number, v: number): Uint8Array => {
      const b = bytes.slice();
      b[i] = v;
      return b;
    };
    throwsWith(() => openAccount(at(0, 0), PASS), 'ERR_KEYSTORE_CORRUPT');
    throwsWith(() => openAccount(at(4, 2), PASS), 'ERR_KEYSTORE_VERSION');
    throwsWith(() => openAccount(at(5, 9), PASS), 'ERR_KEYSTORE_CORRUPT');
    throwsWith(
      () => openAccount(bytes.subarray(0, bytes.length - 1), PASS),
      'ERR_KEYSTORE_CORRUPT',
    );
    throwsWith(() => openAccount(new Uint8Array(0), PASS), 'ERR_KEYSTORE_CORRUPT');
    throwsWith(
      () => openAccount(at(bytes.length - 5, (bytes[bytes.length - 5] ?? 0) ^ 1), PASS),
      'ERR_KEYSTORE_CORRUPT',
    );
  });

  test('keystore - an export is not interchangeable with a keystore by flipping its kind byte', () => {
    const { bytes } = sealAccount(newAccount('r', 0), PASS, 'export');
    assert.equal(openAccount(bytes, PASS).kind, 'export');
    const flipped = bytes.slice();
    flipped[5] = 1;
    throwsWith(() => openAccount(flipped, PASS), 'ERR_KEYSTORE_PASSPHRASE');
  });
});

describe('keystore files', () => {
  let root: string;
  let n = 0;
  const home = async (): Promise<string> => {
    const h = join(root, `home${n++}`);
    await mkdir(h);
    return h;
  };
  before(async () => {
    await initCrypto();
    root = await mkdtemp(join(tmpdir(), 'komrade-keystore-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('keystore file - create, open, save; the previous version becomes the backup', async () => {
    const h = await home();
    const a = fullAccount();
    const ks = await Keystore.create(h, PASS, a);
    const p = keystorePaths(h);
    const v1 = await readFile(p.file);
    ks.account.inbox = [];
    await ks.save();
    assert.deepEqual(await readFile(p.backup), v1);
    const reopened = await Keystore.open(h, PASS);
    assert.deepEqual(reopened.account.inbox, []);
    assert.equal(reopened.account.name, 'alice');
    // no temporary files left behind
    assert.deepEqual((await readdir(h)).sort(), ['keystore.kmk', 'keystore.kmk.bak']);
  });

  test('keystore file - a wrong passphrase leaves every byte of the file as it was', async () => {
    const h = await home();
    await Keystore.create(h, PASS, fullAccount());
    const before = await readFile(keystorePaths(h).file);
    await rejectsWith(Keystore.open(h, 'not the passphrase'), 'ERR_KEYSTORE_PASSPHRASE');
    assert.deepEqual(await readFile(keystorePaths(h).file), before);
  });

  test('keystore file - missing keystore, existing keystore', async () => {
    const h = await home();
    await rejectsWith(Keystore.open(h, PASS), 'ERR_KEYSTORE_MISSING');
    await Keystore.create(h, PASS, newAccount('r', 0));
    await rejectsWith(Keystore.create(h, PASS, newAccount('r', 0)), 'ERR_KEYSTORE_EXISTS');
  });

  test('keystore file - a write that fails half-way leaves the old file intact and no temp files', async () => {
    const h = await home();
    const ks = await Keystore.create(h, PASS, fullAccount());
    const p = keystorePaths(h);
    const before = await readFile(p.file);
    // the backup cannot be written: a directory sits where it goes
    await mkdir(p.backup);
    ks.account.inbox = [];
    await rejectsWith(ks.save(), 'ERR_KEYSTORE_IO');
    assert.deepEqual(await readFile(p.file), before);
    assert.deepEqual((await readdir(h)).sort(), ['keystore.kmk', 'keystore.kmk.bak']);
    assert.equal((await Keystore.open(h, PASS)).account.inbox.length, 1);
  });

  test('keystore file - writeFileAtomic replaces content whole', async () => {
    const h = await home();
    const f = join(h, 'x');
    await writeFileAtomic(f, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(f, new Uint8Array([4]), { backup: join(h, 'x.bak') });
    assert.deepEqual([...(await readFile(f))], [4]);
    assert.deepEqual([...(await readFile(join(h, 'x.bak')))], [1, 2, 3]);
  });

  test('keystore file - export then import on another home restores the whole account', async () => {
    const h1 = await home();
    const h2 = await home();
    const ks = await Keystore.create(h1, PASS, fullAccount());
    const file = join(root, 'alice.komrade');
    await ks.exportTo(file, PASS);
    await rejectsWith(ks.exportTo(file, PASS), 'ERR_KEYSTORE_EXISTS');
    await rejectsWith(Keystore.importFrom(h2, file, 'wrong passphrase'), 'ERR_KEYSTORE_PASSPHRASE');
    assert.equal(await Keystore.exists(h2), false);
    const imported = await Keystore.importFrom(h2, file, PASS);
    assert.deepEqual(imported.account, ks.account);
    assert.deepEqual((await Keystore.open(h2, PASS)).account, ks.account);
    await rejectsWith(Keystore.importFrom(h2, file, PASS), 'ERR_KEYSTORE_EXISTS');
    await Keystore.importFrom(h2, file, PASS, { replace: true });
    await rejectsWith(Keystore.importFrom(h2, join(root, 'nope'), PASS), 'ERR_KEYSTORE_MISSING');
  });

  test('keystore lock - a live holder blocks, a dead holder is taken over, the lock is released', async () => {
    const h = await home();
    const { lock } = keystorePaths(h);
    await withKeystoreLock(h, async () => {
      await rejectsWith(
        withKeystoreLock(h, () => Promise.resolve()),
        'ERR_KEYSTORE_LOCKED',
      );
    });
    assert.deepEqual(await readdir(h), []);
    await writeFile(lock, '999999999\n');
    assert.equal(await withKeystoreLock(h, () => Promise.resolve(42)), 42);
    await writeFile(lock, `${process.pid}\n`);
    await rejectsWith(
      withKeystoreLock(h, () => Promise.resolve()),
      'ERR_KEYSTORE_LOCKED',
    );
  });
});
