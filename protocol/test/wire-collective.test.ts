/**
 * Collective messages (0x30-0x3e): quorum policies and quorum(n), round trips, field
 * rules, invalid-input tables, signing and opening requests, and the KV layout names.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import {
  collectiveKey,
  collectiveNonceKey,
  CollectiveOutcome,
  collectiveRequestIdOf,
  decodeCollectiveAction,
  decodeCollectiveRecord,
  decodeCollectiveRequest,
  decodeCollectiveResult,
  decodeCollectiveView,
  decodeFanoutMembers,
  encodeCollectiveAction,
  encodeCollectiveCreate,
  encodeCollectiveLeave,
  encodeCollectiveRecord,
  encodeCollectiveRequest,
  encodeCollectiveResult,
  encodeCollectiveView,
  encodeCollectiveVouch,
  encodeFanoutMembers,
  fanoutKey,
  formatPolicy,
  generateKeyPair,
  initCrypto,
  KV_BUCKETS,
  MAX_CANDIDATES,
  MAX_COLLECTIVE_MEMBERS,
  MessageType,
  openCollectiveRequest,
  parsePolicy,
  quorumFor,
  samePolicy,
  signCollectiveAction,
  tokenSetKey,
  vouchCountKey,
  type CollectiveAction,
  type QuorumPolicy,
} from '../src/index.js';
import { concat, expectFail, expectOk, patch } from './fixtures.js';
import { SAMPLE_BASE } from './fixtures-collective.js';
import { seeded } from './fixtures-directory.js';

const SPEC = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8');
const K = seeded(45, 40);

describe('quorum policies', () => {
  test('quorum - a fixed minimum never exceeds the size and is at least 1', () => {
    const p: QuorumPolicy = { kind: 'fixed', count: 3 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 100].map((n) => quorumFor(p, n)),
      [1, 1, 2, 3, 3, 3],
    );
  });

  test('quorum - a fraction of n rounds up and keeps its minimum', () => {
    const half: QuorumPolicy = { kind: 'fraction', num: 1, den: 2, min: 2 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9, 10, 11].map((n) => quorumFor(half, n)),
      [1, 2, 2, 2, 3, 5, 5, 6],
    );
    const twoThirds: QuorumPolicy = { kind: 'fraction', num: 2, den: 3, min: 1 };
    assert.equal(quorumFor(twoThirds, 1000), 667);
  });

  test('quorum - the step table "1 up to 10 members, then ceil(n/10)+1" rises with the size', () => {
    const p = parsePolicy('steps:10=1,n/10+1');
    assert.ok(p);
    assert.deepEqual(p, { kind: 'steps', steps: [{ upTo: 10, quorum: 1 }], div: 10, add: 1 });
    assert.deepEqual(
      [1, 5, 10, 11, 20, 21, 30, 31, 100, 1000].map((n) => quorumFor(p, n)),
      [1, 1, 1, 3, 3, 4, 4, 5, 11, 101],
    );
    const table = parsePolicy('steps:3=1,10=2,50=4');
    assert.ok(table);
    assert.deepEqual(
      [1, 3, 4, 10, 11, 50, 51, 500].map((n) => quorumFor(table, n)),
      [1, 1, 2, 2, 4, 4, 4, 4],
    );
  });

  test('quorum - text forms parse and format back; invalid ones are refused', () => {
    for (const t of ['fixed:2', 'fraction:1/2:3', 'steps:10=1,n/10+1', 'steps:5=1,20=2'])
      assert.equal(formatPolicy(parsePolicy(t) ?? assert.fail(t)), t);
    assert.equal(formatPolicy(parsePolicy('fraction:2/3') ?? assert.fail()), 'fraction:2/3:1');
    for (const bad of [
      '',
      'fixed',
      'fixed:0',
      'fixed:-1',
      'fixed:70000',
      'fixed:1.5',
      'fraction:3/2',
      'fraction:0/2',
      'fraction:1/0',
      'fraction:1/2:0',
      'steps:',
      'steps:10=0',
      'steps:10=1,5=2',
      'steps:10=1,10=2',
      'steps:n/10+1',
      'steps:10=1,n/0+1',
      'steps:10=1,n/10+1,20=2',
      'majority:1',
    ])
      assert.equal(parsePolicy(bad), undefined, bad);
    assert.ok(samePolicy(parsePolicy('fixed:2') ?? assert.fail(), { kind: 'fixed', count: 2 }));
  });
});

describe('collective messages', () => {
  before(async () => {
    await initCrypto();
  });

  test('collective - every action round-trips through the tagged dispatcher', () => {
    const actions: CollectiveAction[] = [
      {
        type: MessageType.CollectiveCreate,
        ...SAMPLE_BASE,
        groupKey: K,
        mailboxId: seeded(16, 1),
        mailboxKey: K,
        policy: { kind: 'fixed', count: 2 },
      },
      {
        type: MessageType.CollectiveJoin,
        ...SAMPLE_BASE,
        mailboxRelay: 'beta',
        mailboxId: seeded(16, 2),
        mailboxKey: K,
      },
      {
        type: MessageType.CollectiveVouch,
        ...SAMPLE_BASE,
        memberEpoch: 1,
        candidateKey: K,
        candidacyEpoch: 2,
      },
      { type: MessageType.CollectiveLeave, ...SAMPLE_BASE, epoch: 9 },
      {
        type: MessageType.CollectivePolicyVote,
        ...SAMPLE_BASE,
        memberEpoch: 1,
        policyEpoch: 3,
        policy: { kind: 'fraction', num: 1, den: 3, min: 1 },
      },
    ];
    for (const a of actions) {
      const bytes = encodeCollectiveAction(a);
      assert.equal(bytes[3], a.type);
      assert.deepEqual(expectOk(decodeCollectiveAction(bytes)), a);
    }
    // anything else: the usual header codes, in the usual order
    const leave = encodeCollectiveLeave({ ...SAMPLE_BASE, epoch: 1 });
    expectFail(
      decodeCollectiveAction(patch(leave, 3, 1, MessageType.CollectiveShow)),
      'ERR_WIRE_TYPE',
    );
    expectFail(decodeCollectiveAction(patch(leave, 2, 1, 9)), 'ERR_WIRE_VERSION');
    expectFail(decodeCollectiveAction(patch(leave, 0, 1, 0)), 'ERR_WIRE_MAGIC');
    expectFail(decodeCollectiveAction(leave.subarray(0, 3)), 'ERR_WIRE_TRUNCATED');
    expectFail(decodeCollectiveAction('x' as unknown as Uint8Array), 'ERR_WIRE_FIELD');
  });

  test('collective - invalid fields are refused with their codes', () => {
    const vouch = encodeCollectiveVouch({
      ...SAMPLE_BASE,
      memberEpoch: 1,
      candidateKey: K,
      candidacyEpoch: 2,
    });
    const r = SAMPLE_BASE.relay.length;
    const n = SAMPLE_BASE.collective.length;
    const end = 30 + r + n;
    const table: [string, Uint8Array, string][] = [
      ['relay with upper case', patch(vouch, 5, 1, 0x41), 'ERR_WIRE_FIELD'],
      ['relay length 0', patch(vouch, 4, 1, 0), 'ERR_WIRE_LENGTH'],
      ['name with upper case', patch(vouch, 6 + r, 1, 0x50), 'ERR_WIRE_FIELD'],
      ['name length 2', patch(vouch, 5 + r, 1, 2), 'ERR_WIRE_LENGTH'],
      ['timestamp beyond 2^53', patch(vouch, 6 + r + n, 1, 0xff), 'ERR_WIRE_FIELD'],
      ['candidate key length 44', patch(vouch, end + 4, 1, 44), 'ERR_WIRE_LENGTH'],
    ];
    for (const [what, bytes, code] of table)
      expectFail(decodeCollectiveAction(bytes), code as never, what);

    const create = encodeCollectiveCreate({
      ...SAMPLE_BASE,
      groupKey: K,
      mailboxId: seeded(16, 1),
      mailboxKey: K,
      policy: { kind: 'fraction', num: 1, den: 2, min: 1 },
    });
    const pol = end + 108;
    for (const [what, bytes] of [
      ['policy kind 0', patch(create, pol, 1, 0)],
      ['policy kind 4', patch(create, pol, 1, 4)],
      ['num above den', patch(create, pol + 1, 2, 3)],
      ['den 0', patch(create, pol + 3, 2, 0)],
      ['min 0', patch(create, pol + 5, 2, 0)],
    ] as const)
      expectFail(decodeCollectiveAction(bytes), 'ERR_WIRE_FIELD', what);
  });

  test('collective - a request carries a known action type, a 45-byte key and 1-1024 signed bytes', () => {
    const ok = encodeCollectiveRequest({
      action: MessageType.CollectiveJoin,
      identityKey: K,
      postage: new Uint8Array(8),
      signed: seeded(200, 3),
    });
    expectOk(decodeCollectiveRequest(ok));
    expectFail(
      decodeCollectiveRequest(patch(ok, 4, 1, MessageType.CollectiveShow)),
      'ERR_WIRE_FIELD',
    );
    expectFail(decodeCollectiveRequest(patch(ok, 4, 1, 0)), 'ERR_WIRE_FIELD');
    expectFail(decodeCollectiveRequest(patch(ok, 5, 1, 46)), 'ERR_WIRE_LENGTH');
    expectFail(decodeCollectiveRequest(patch(ok, 59, 2, 0)), 'ERR_WIRE_LENGTH');
    expectFail(decodeCollectiveRequest(patch(ok, 59, 2, 1025)), 'ERR_WIRE_LENGTH');
    assert.throws(() =>
      encodeCollectiveRequest({
        action: MessageType.CollectiveJoin,
        identityKey: K,
        postage: new Uint8Array(8),
        signed: new Uint8Array(1025),
      }),
    );
  });

  test('collective - results carry the fan-out id only when created and a mailbox only when admitted', () => {
    const created = encodeCollectiveResult({
      outcome: CollectiveOutcome.Created,
      epoch: 1,
      vouches: 0,
      quorum: 1,
      members: 1,
      fanoutId: seeded(16, 4),
    });
    assert.equal(created.length, 15 + 16);
    assert.deepEqual(expectOk(decodeCollectiveResult(created)).fanoutId, seeded(16, 4));
    const counted = encodeCollectiveResult({
      outcome: CollectiveOutcome.Counted,
      epoch: 4,
      vouches: 1,
      quorum: 2,
      members: 3,
    });
    assert.equal(counted.length, 15);
    // a counted result with a fan-out id is trailing garbage, a created one without is short
    expectFail(decodeCollectiveResult(concat(counted, seeded(16, 4))), 'ERR_WIRE_TRAILING');
    expectFail(decodeCollectiveResult(patch(counted, 4, 1, 1)), 'ERR_WIRE_TRUNCATED');
    expectFail(decodeCollectiveResult(patch(counted, 4, 1, 0)), 'ERR_WIRE_FIELD');
    expectFail(decodeCollectiveResult(patch(counted, 4, 1, 8)), 'ERR_WIRE_FIELD');
    assert.throws(() =>
      encodeCollectiveResult({
        outcome: CollectiveOutcome.Counted,
        epoch: 4,
        vouches: 1,
        quorum: 2,
        members: 3,
        fanoutId: seeded(16, 4),
      }),
    );
  });

  test('collective - the public view has no mailbox and no fan-out address; the record has both', () => {
    const mailboxId = seeded(16, 5);
    const fanoutId = seeded(16, 6);
    const mailboxKey = seeded(45, 7);
    const entry = {
      identityKey: K,
      mailboxRelay: 'beta',
      mailboxId,
      mailboxKey,
      epoch: 1,
      vouches: 0,
    };
    const record = {
      name: 'portland',
      founderKey: K,
      groupKey: seeded(45, 8),
      fanoutId,
      policy: { kind: 'fixed', count: 1 } as const,
      policyEpoch: 1,
      nextEpoch: 2,
      createdMs: 1,
      members: [entry],
      candidates: [],
      proposals: [],
    };
    const stored = encodeCollectiveRecord(record);
    assert.deepEqual(expectOk(decodeCollectiveRecord(stored)), record);
    const view = encodeCollectiveView({
      ...record,
      quorum: 1,
      members: [{ identityKey: K, epoch: 1, vouches: 0 }],
    });
    const hay = Buffer.from(view);
    for (const secret of [mailboxId, fanoutId, mailboxKey])
      assert.equal(hay.indexOf(Buffer.from(secret)), -1);
    expectOk(decodeCollectiveView(view));
  });

  test('collective - member and candidate counts are bounded', () => {
    const many = Array.from({ length: MAX_COLLECTIVE_MEMBERS + 1 }, (_, i) => ({
      mailboxRelay: 'beta',
      mailboxId: seeded(16, i + 1),
      mailboxKey: K,
    }));
    assert.throws(() => encodeFanoutMembers(many));
    const max = encodeFanoutMembers(many.slice(1));
    assert.equal(expectOk(decodeFanoutMembers(max)).length, MAX_COLLECTIVE_MEMBERS);
    expectFail(
      decodeFanoutMembers(patch(max, 4, 2, MAX_COLLECTIVE_MEMBERS + 1)),
      'ERR_WIRE_LENGTH',
    );
    const view = {
      name: 'portland',
      founderKey: K,
      groupKey: K,
      policy: { kind: 'fixed', count: 1 } as const,
      policyEpoch: 1,
      quorum: 1,
      createdMs: 1,
      members: [],
      candidates: Array.from({ length: MAX_CANDIDATES + 1 }, () => ({
        identityKey: K,
        epoch: 1,
        vouches: 0,
      })),
      proposals: [],
    };
    assert.throws(() => encodeCollectiveView(view));
  });

  test('collective - a signed request opens to its action; tampering, another key or another type fail', () => {
    const alice = generateKeyPair();
    const action: CollectiveAction = {
      type: MessageType.CollectiveVouch,
      ...SAMPLE_BASE,
      memberEpoch: 1,
      candidateKey: generateKeyPair().publicKey,
      candidacyEpoch: 2,
    };
    const s = expectOk(signCollectiveAction(alice, action));
    assert.equal(s.action, MessageType.CollectiveVouch);
    assert.deepEqual(expectOk(openCollectiveRequest(s)), action);
    const tampered = s.signed.slice();
    tampered[40] = (tampered[40] ?? 0) ^ 1;
    expectFail(openCollectiveRequest({ ...s, signed: tampered }), 'ERR_CRYPTO_SIGNATURE');
    expectFail(
      openCollectiveRequest({ ...s, identityKey: generateKeyPair().publicKey }),
      'ERR_CRYPTO_SIGNATURE',
    );
    expectFail(
      openCollectiveRequest({ ...s, action: MessageType.CollectiveLeave }),
      'ERR_WIRE_TYPE',
    );
    // the postage id binds key and signed bytes
    const id = collectiveRequestIdOf(s);
    assert.equal(id.length, 16);
    assert.notDeepEqual(collectiveRequestIdOf({ ...s, identityKey: K }), id);
  });

  test('collective - KV buckets and keys are pinned and documented in SPEC.md', () => {
    assert.deepEqual(
      { ...KV_BUCKETS },
      {
        directory: 'KOMRADE_DIRECTORY',
        collectives: 'KOMRADE_COLLECTIVES',
        collectiveNonces: 'KOMRADE_COLLECTIVE_NONCES',
      },
    );
    assert.equal(collectiveKey('portland'), 'c.portland');
    assert.equal(fanoutKey('ab'), 'f.ab');
    assert.equal(tokenSetKey('portland', 'c4'), 't.portland.c4');
    assert.equal(vouchCountKey('ab'), 'k.ab');
    assert.equal(collectiveNonceKey('ab'), 'n.ab');
    for (const s of [
      KV_BUCKETS.collectives,
      KV_BUCKETS.collectiveNonces,
      '`c.<name>`',
      '`f.<fan-out id hex>`',
      '`t.<name>.c<epoch>`',
      '`k.<identity key hex>`',
      '`n.<digest hex>`',
    ])
      assert.ok(SPEC.includes(s), s);
  });
});
