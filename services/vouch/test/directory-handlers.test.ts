import * as assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  decodeDirectoryRecord,
  decodeErrorReply,
  encodeDirectoryEntry,
  encodeDirectoryLookup,
  encodeDirectoryRegister,
  generateKeyPair,
  initCrypto,
  isErrorReply,
  openDirectoryRecord,
  secureMessageSign,
  signDirectoryEntry,
  type DirectoryEntry,
  type ErrorCode,
  type KeyPair,
} from '@komrade/protocol';
import { handleLookup, handleRegister, MemoryDirectoryStore } from '../src/index.js';

const NOW = 1_795_000_000_000;
const RELAY = 'test';

function deps(store = new MemoryDirectoryStore()) {
  return { store, relayName: RELAY, now: () => NOW };
}

function entry(k: KeyPair, name: string, over: Partial<DirectoryEntry> = {}): DirectoryEntry {
  return {
    name,
    identityKey: k.publicKey,
    intro: { relay: RELAY, id: new Uint8Array(16).fill(name.length) },
    introKey: generateKeyPair().publicKey,
    timestampMs: NOW,
    ...over,
  };
}

function registration(k: KeyPair, e: DirectoryEntry): Uint8Array {
  const signed = signDirectoryEntry(k, e);
  assert.ok(signed.ok);
  return encodeDirectoryRegister({
    identityKey: k.publicKey,
    postage: new Uint8Array(8),
    signedEntry: signed.value,
  });
}

function codeOf(reply: Uint8Array): ErrorCode | undefined {
  if (!isErrorReply(reply)) return undefined;
  const c = decodeErrorReply(reply);
  assert.ok(c.ok);
  return c.value;
}

function entryOf(reply: Uint8Array, name?: string): DirectoryEntry {
  const rec = decodeDirectoryRecord(reply);
  assert.ok(rec.ok, `not a record: ${codeOf(reply) ?? '?'}`);
  const e = openDirectoryRecord(rec.value, name);
  assert.ok(e.ok);
  return e.value;
}

describe('vouch directory handlers', () => {
  let alice: KeyPair;
  let mallory: KeyPair;
  before(async () => {
    await initCrypto();
    alice = generateKeyPair();
    mallory = generateKeyPair();
  });

  test('directory - registering a free name stores the signed record, and lookup answers it', async () => {
    const d = deps();
    const e = entry(alice, 'alice');
    const reply = await handleRegister(d, registration(alice, e));
    assert.deepEqual(entryOf(reply, 'alice'), e);
    const found = await handleLookup(d, encodeDirectoryLookup({ name: 'alice' }));
    assert.deepEqual(found, reply);
    assert.deepEqual(entryOf(found, 'alice'), e);
  });

  test('directory - the same key registering again is idempotent and keeps the first entry', async () => {
    const d = deps();
    const first = entry(alice, 'alice');
    const stored = await handleRegister(d, registration(alice, first));
    const again = await handleRegister(
      d,
      registration(alice, entry(alice, 'alice', { timestampMs: NOW + 1000 })),
    );
    assert.deepEqual(again, stored);
    assert.deepEqual(entryOf(again), first);
  });

  test('directory - another key asking for a taken name gets ERR_NAME_TAKEN and changes nothing', async () => {
    const d = deps();
    const stored = await handleRegister(d, registration(alice, entry(alice, 'alice')));
    assert.equal(
      codeOf(await handleRegister(d, registration(mallory, entry(mallory, 'alice')))),
      'ERR_NAME_TAKEN',
    );
    assert.deepEqual(await handleLookup(d, encodeDirectoryLookup({ name: 'alice' })), stored);
  });

  test('directory - two keys racing for one name: exactly one wins', async () => {
    const d = deps();
    const keys = Array.from({ length: 8 }, () => generateKeyPair());
    const replies = await Promise.all(
      keys.map((k) => handleRegister(d, registration(k, entry(k, 'contested')))),
    );
    const wins = replies.filter((r) => codeOf(r) === undefined);
    assert.ok(wins.length >= 1);
    const winnerKey = entryOf(wins[0] ?? new Uint8Array()).identityKey;
    for (const w of wins) assert.deepEqual(entryOf(w).identityKey, winnerKey);
    assert.equal(replies.filter((r) => codeOf(r) === 'ERR_NAME_TAKEN').length, keys.length - 1);
  });

  test('directory - a reserved name is refused and looks up like a free one', async () => {
    const d = deps();
    assert.equal(
      codeOf(await handleRegister(d, registration(alice, entry(alice, 'admin')))),
      'ERR_NAME_RESERVED',
    );
    assert.equal(
      codeOf(await handleLookup(d, encodeDirectoryLookup({ name: 'admin' }))),
      'ERR_NAME_NOT_FOUND',
    );
    assert.equal(
      codeOf(await handleLookup(d, encodeDirectoryLookup({ name: 'nobody' }))),
      'ERR_NAME_NOT_FOUND',
    );
  });

  test('directory - proof of possession: an entry signed by another key, or for another key, is ERR_NAME_PROOF', async () => {
    const d = deps();
    // mallory signs an entry naming alice's key, and claims alice's key outside
    const forged = secureMessageSign(
      mallory.privateKey,
      encodeDirectoryEntry(entry(alice, 'alice')),
    );
    assert.ok(forged.ok);
    const asAlice = encodeDirectoryRegister({
      identityKey: alice.publicKey,
      postage: new Uint8Array(8),
      signedEntry: forged.value,
    });
    assert.equal(codeOf(await handleRegister(d, asAlice)), 'ERR_NAME_PROOF');
    const asMallory = encodeDirectoryRegister({
      identityKey: mallory.publicKey,
      postage: new Uint8Array(8),
      signedEntry: forged.value,
    });
    assert.equal(codeOf(await handleRegister(d, asMallory)), 'ERR_NAME_PROOF');
    assert.equal(d.store.records.size, 0);
  });

  test('directory - a timestamp more than 10 minutes off either way is ERR_NAME_STALE', async () => {
    const d = deps();
    for (const off of [-600_001, 600_001])
      assert.equal(
        codeOf(
          await handleRegister(
            d,
            registration(alice, entry(alice, 'alice', { timestampMs: NOW + off })),
          ),
        ),
        'ERR_NAME_STALE',
      );
    for (const off of [-600_000, 600_000]) {
      const k = generateKeyPair();
      assert.equal(
        codeOf(
          await handleRegister(
            d,
            registration(k, entry(k, `edge${off > 0 ? 'p' : 'm'}`, { timestampMs: NOW + off })),
          ),
        ),
        undefined,
      );
    }
  });

  test('directory - an introduction mailbox on another relay is ERR_RELAY_UNKNOWN', async () => {
    const e = entry(alice, 'alice', { intro: { relay: 'elsewhere', id: new Uint8Array(16) } });
    assert.equal(codeOf(await handleRegister(deps(), registration(alice, e))), 'ERR_RELAY_UNKNOWN');
  });

  test('directory - an introduction key that is not a Themis key is ERR_CRYPTO_KEY_INVALID', async () => {
    const e = entry(alice, 'alice', { introKey: new Uint8Array(45).fill(1) });
    assert.equal(
      codeOf(await handleRegister(deps(), registration(alice, e))),
      'ERR_CRYPTO_KEY_INVALID',
    );
  });

  test('directory - malformed requests answer their wire code', async () => {
    assert.equal(
      codeOf(await handleRegister(deps(), new Uint8Array([0x4b, 0x4d, 1]))),
      'ERR_WIRE_TRUNCATED',
    );
    assert.equal(
      codeOf(await handleLookup(deps(), encodeDirectoryLookup({ name: 'bob' }).fill(0, 0, 1))),
      'ERR_WIRE_MAGIC',
    );
  });
});
