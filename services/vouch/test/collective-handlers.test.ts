/**
 * Collective handlers against the in-memory store (no network): founding, candidacies,
 * vouching to quorum with the quorum rising, refusals (double vouch, non-member, replay,
 * stale, another relay, an old membership epoch), leaving, policy votes, fan-out answers,
 * overall counts, and what is stored per vouch.
 */
import * as assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import {
  CollectiveOutcome,
  decodeCollectiveResult,
  decodeCollectiveView,
  decodeErrorReply,
  decodeFanoutMembers,
  decodeVouchCount,
  encodeCollectiveRequest,
  encodeCollectiveShow,
  encodeRemoteCollective,
  encodeFanoutQuery,
  encodeVouchCountQuery,
  generateKeyPair,
  initCrypto,
  isErrorReply,
  MessageType,
  parsePolicy,
  signCollectiveAction,
  toHex,
  type CollectiveAction,
  type CollectiveResult,
  type CollectiveView,
  type ErrorCode,
  type KeyPair,
  type QuorumPolicy,
} from '@komrade/protocol';
import {
  handleCollectiveRequest,
  handleCount,
  handleFanout,
  handleRemote,
  handleShow,
  MemoryCollectiveStore,
  VouchTokens,
  type CollectiveDeps,
} from '../src/index.js';

const RELAY = 'test';
const SECRET = new Uint8Array(32).fill(7);
const clock = 1_795_000_000_000;

interface Member {
  readonly id: KeyPair;
  readonly mailboxId: Uint8Array;
  readonly mailboxKey: Uint8Array;
}

function komrade(): Member {
  return {
    id: generateKeyPair(),
    mailboxId: new Uint8Array(randomBytes(16)),
    mailboxKey: generateKeyPair().publicKey,
  };
}

function deps(store = new MemoryCollectiveStore()): CollectiveDeps & {
  store: MemoryCollectiveStore;
  admissions: number[];
} {
  const admissions: number[] = [];
  return {
    store,
    relayName: RELAY,
    now: () => clock,
    tokens: new VouchTokens(SECRET),
    random: () => new Uint8Array(randomBytes(16)),
    onAdmission: () => admissions.push(1),
    admissions,
  };
}

type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Act = DistOmit<CollectiveAction, 'relay' | 'collective' | 'timestampMs' | 'nonce'>;

function request(
  who: KeyPair,
  collective: string,
  act: Act,
  over: { relay?: string; timestampMs?: number; nonce?: Uint8Array } = {},
): Uint8Array {
  const action = {
    relay: over.relay ?? RELAY,
    collective,
    timestampMs: over.timestampMs ?? clock,
    nonce: over.nonce ?? new Uint8Array(randomBytes(16)),
    ...act,
  } as CollectiveAction;
  const s = signCollectiveAction(who, action);
  assert.ok(s.ok);
  return encodeCollectiveRequest({ ...s.value, postage: new Uint8Array(8) });
}

function codeOf(reply: Uint8Array): ErrorCode | undefined {
  if (!isErrorReply(reply)) return undefined;
  const c = decodeErrorReply(reply);
  assert.ok(c.ok);
  return c.value;
}

function resultOf(reply: Uint8Array): CollectiveResult {
  const r = decodeCollectiveResult(reply);
  assert.ok(r.ok, `not a result: ${codeOf(reply) ?? '?'}`);
  return r.value;
}

async function act(d: CollectiveDeps, req: Uint8Array): Promise<CollectiveResult> {
  return resultOf(await handleCollectiveRequest(d, req));
}

async function refused(d: CollectiveDeps, req: Uint8Array): Promise<ErrorCode | undefined> {
  return codeOf(await handleCollectiveRequest(d, req));
}

async function show(d: CollectiveDeps, name: string): Promise<CollectiveView> {
  const v = decodeCollectiveView(await handleShow(d, encodeCollectiveShow({ name })));
  assert.ok(v.ok);
  return v.value;
}

const create = (m: Member, name: string, policy: QuorumPolicy): Uint8Array =>
  request(m.id, name, {
    type: MessageType.CollectiveCreate,
    groupKey: generateKeyPair().publicKey,
    mailboxId: m.mailboxId,
    mailboxKey: m.mailboxKey,
    policy,
  });
const join = (m: Member, name: string): Uint8Array =>
  request(m.id, name, {
    type: MessageType.CollectiveJoin,
    mailboxRelay: RELAY,
    mailboxId: m.mailboxId,
    mailboxKey: m.mailboxKey,
  });

async function epochs(d: CollectiveDeps, name: string, k: Uint8Array) {
  const v = await show(d, name);
  const same = (e: { identityKey: Uint8Array }): boolean =>
    Buffer.from(e.identityKey).equals(Buffer.from(k));
  return { member: v.members.find(same)?.epoch, candidate: v.candidates.find(same)?.epoch };
}

async function vouchReq(d: CollectiveDeps, name: string, voucher: Member, cand: Member) {
  const me = (await epochs(d, name, voucher.id.publicKey)).member ?? 0;
  const c = (await epochs(d, name, cand.id.publicKey)).candidate ?? 0;
  return request(voucher.id, name, {
    type: MessageType.CollectiveVouch,
    memberEpoch: me,
    candidateKey: cand.id.publicKey,
    candidacyEpoch: c,
  });
}

describe('collectives (vouch handlers, in-memory store)', () => {
  before(async () => {
    await initCrypto();
  });

  test('collective - founding makes the founder the first member; the view shows no mailbox or fan-out id', async () => {
    const d = deps();
    const founder = komrade();
    const r = await act(d, create(founder, 'portland', { kind: 'fixed', count: 2 }));
    assert.equal(r.outcome, CollectiveOutcome.Created);
    assert.equal(r.members, 1);
    assert.equal(r.quorum, 1);
    assert.ok(r.fanoutId);
    const raw = Buffer.from(await handleShow(d, encodeCollectiveShow({ name: 'portland' })));
    for (const secret of [founder.mailboxId, founder.mailboxKey, r.fanoutId])
      assert.equal(raw.indexOf(Buffer.from(secret)), -1);
    const v = await show(d, 'portland');
    assert.equal(v.members.length, 1);
    assert.deepEqual(v.members[0]?.identityKey, founder.id.publicKey);
    assert.deepEqual(v.founderKey, founder.id.publicKey);
    // a name can be founded once; the founder retrying gets the same collective back
    assert.equal(
      await refused(d, create(komrade(), 'portland', { kind: 'fixed', count: 1 })),
      'ERR_COLLECTIVE_TAKEN',
    );
    assert.equal(
      await refused(d, create(founder, 'admin', { kind: 'fixed', count: 1 })),
      'ERR_NAME_RESERVED',
    );
    assert.equal(
      codeOf(await handleShow(d, encodeCollectiveShow({ name: 'seattle' }))),
      'ERR_COLLECTIVE_NOT_FOUND',
    );
  });

  test('collective - komrades are admitted one by one when their vouches reach quorum(n), which rises with n', async () => {
    const d = deps();
    const policy = parsePolicy('steps:3=1,n/3+1');
    assert.ok(policy);
    const founder = komrade();
    await act(d, create(founder, 'portland', policy));
    const members: Member[] = [founder];
    const seen: { n: number; quorum: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const cand = komrade();
      const joined = await act(d, join(cand, 'portland'));
      assert.equal(joined.outcome, CollectiveOutcome.Candidate);
      const q = joined.quorum;
      seen.push({ n: members.length, quorum: q });
      for (let v = 0; v < q; v++) {
        const r = await act(d, await vouchReq(d, 'portland', members[v] as Member, cand));
        assert.equal(r.vouches, v + 1);
        if (v + 1 < q) {
          assert.equal(r.outcome, CollectiveOutcome.Counted);
          const view = await show(d, 'portland');
          assert.equal(view.candidates[0]?.vouches, v + 1);
        } else {
          assert.equal(r.outcome, CollectiveOutcome.Admitted);
          assert.deepEqual(r.admitted?.mailboxId, cand.mailboxId);
          assert.deepEqual(r.admitted?.mailboxKey, cand.mailboxKey);
        }
      }
      members.push(cand);
      const view = await show(d, 'portland');
      assert.equal(view.members.length, members.length);
      assert.equal(view.candidates.length, 0);
      assert.equal(view.members.at(-1)?.vouches, q);
    }
    assert.deepEqual(
      seen.map((s) => s.quorum),
      [1, 1, 1, 3, 3, 3, 4, 4],
    );
    assert.equal(d.admissions.length, 8);
    // each admission's token set is gone; nothing of the vouches is left but counts
    assert.deepEqual(
      [...d.store.values.keys()].filter((k) => k.startsWith('t.')),
      [],
    );
  });

  test('collective - double vouch, a non-member, a replay, a stale request and another relay are refused with typed errors', async () => {
    const d = deps();
    const founder = komrade();
    const bob = komrade();
    const carol = komrade();
    const mallory = komrade();
    await act(d, create(founder, 'portland', { kind: 'fixed', count: 2 }));
    await act(d, join(bob, 'portland'));
    await act(d, await vouchReq(d, 'portland', founder, bob));
    // bob is admitted by quorum(1) = 1; carol needs quorum(2) = 2
    await act(d, join(carol, 'portland'));
    const first = await vouchReq(d, 'portland', founder, carol);
    assert.equal((await act(d, first)).outcome, CollectiveOutcome.Counted);
    // the same vouch again (a fresh request) counts nothing
    assert.equal(
      await refused(d, await vouchReq(d, 'portland', founder, carol)),
      'ERR_VOUCH_DUPLICATE',
    );
    // the very same bytes again: a replay
    assert.equal(await refused(d, first), 'ERR_COLLECTIVE_REPLAY');
    // a komrade who is not a member
    assert.equal(
      await refused(d, await vouchReq(d, 'portland', mallory, carol)),
      'ERR_COLLECTIVE_NOT_MEMBER',
    );
    // a candidate cannot vouch either (for itself or anyone)
    assert.equal(
      await refused(d, await vouchReq(d, 'portland', carol, carol)),
      'ERR_COLLECTIVE_NOT_MEMBER',
    );
    // stale, and signed for another relay
    const stale = request(
      founder.id,
      'portland',
      { type: MessageType.CollectiveLeave, epoch: 1 },
      { timestampMs: clock - 11 * 60_000 },
    );
    assert.equal(await refused(d, stale), 'ERR_SEAL_STALE');
    const elsewhere = request(
      founder.id,
      'portland',
      { type: MessageType.CollectiveLeave, epoch: 1 },
      { relay: 'other' },
    );
    assert.equal(await refused(d, elsewhere), 'ERR_RELAY_UNKNOWN');
    // a tampered signature
    const tampered = first.slice();
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 1;
    assert.equal(await refused(d, tampered), 'ERR_CRYPTO_SIGNATURE');
    // counts are right: carol has exactly one vouch
    assert.equal((await show(d, 'portland')).candidates[0]?.vouches, 1);
    // bob's vouch admits her
    assert.equal(
      (await act(d, await vouchReq(d, 'portland', bob, carol))).outcome,
      CollectiveOutcome.Admitted,
    );
  });

  test('collective - a member who left cannot have an old vouch replayed, even after joining again', async () => {
    const d = deps();
    const founder = komrade();
    const bob = komrade();
    const carol = komrade();
    await act(d, create(founder, 'portland', { kind: 'fixed', count: 2 }));
    await act(d, join(bob, 'portland'));
    await act(d, await vouchReq(d, 'portland', founder, bob));
    await act(d, join(carol, 'portland'));
    // bob signs two vouches for carol that are held back; then bob leaves
    const held = await vouchReq(d, 'portland', bob, carol);
    const heldToo = await vouchReq(d, 'portland', bob, carol);
    const bobEpoch = (await epochs(d, 'portland', bob.id.publicKey)).member ?? 0;
    const left = await act(
      d,
      request(bob.id, 'portland', { type: MessageType.CollectiveLeave, epoch: bobEpoch }),
    );
    assert.equal(left.outcome, CollectiveOutcome.Left);
    assert.equal(left.members, 1);
    assert.equal(await refused(d, held), 'ERR_COLLECTIVE_NOT_MEMBER');
    // bob comes back (a new candidacy, then a new membership epoch): the old vouch stays void
    await act(d, join(bob, 'portland'));
    await act(d, await vouchReq(d, 'portland', founder, bob));
    assert.notEqual((await epochs(d, 'portland', bob.id.publicKey)).member, bobEpoch);
    assert.equal(await refused(d, heldToo), 'ERR_COLLECTIVE_NOT_MEMBER');
    assert.equal(await refused(d, held), 'ERR_COLLECTIVE_REPLAY');
    assert.equal((await show(d, 'portland')).candidates[0]?.vouches, 0);
    // leaving twice, or a non-member leaving, is refused
    assert.equal(
      await refused(
        d,
        request(komrade().id, 'portland', { type: MessageType.CollectiveLeave, epoch: 1 }),
      ),
      'ERR_COLLECTIVE_NOT_MEMBER',
    );
  });

  test('collective - after a departure lowers the quorum, a member who already vouched completes the admission', async () => {
    const d = deps();
    const [a, b, c, x] = [komrade(), komrade(), komrade(), komrade()];
    await act(d, create(a, 'portland', { kind: 'fixed', count: 1 }));
    for (const m of [b, c]) {
      await act(d, join(m, 'portland'));
      await act(d, await vouchReq(d, 'portland', a, m));
    }
    // now 3 members; raise the policy to "everyone"
    for (const m of [a, b, c]) {
      const me = (await epochs(d, 'portland', m.id.publicKey)).member ?? 0;
      const view = await show(d, 'portland');
      const r = await handleCollectiveRequest(
        d,
        request(m.id, 'portland', {
          type: MessageType.CollectivePolicyVote,
          memberEpoch: me,
          policyEpoch: view.policyEpoch,
          policy: { kind: 'fraction', num: 1, den: 1, min: 1 },
        }),
      );
      if (m === a) assert.equal(resultOf(r).outcome, CollectiveOutcome.PolicyChanged);
      else assert.equal(codeOf(r), 'ERR_COLLECTIVE_POLICY');
    }
    await act(d, join(x, 'portland'));
    await act(d, await vouchReq(d, 'portland', a, x));
    await act(d, await vouchReq(d, 'portland', b, x));
    assert.equal((await show(d, 'portland')).quorum, 3);
    // c leaves: quorum(2) = 2 and x already has 2
    const ce = (await epochs(d, 'portland', c.id.publicKey)).member ?? 0;
    await act(d, request(c.id, 'portland', { type: MessageType.CollectiveLeave, epoch: ce }));
    const again = await act(d, await vouchReq(d, 'portland', a, x));
    assert.equal(again.outcome, CollectiveOutcome.Admitted);
    assert.equal(again.vouches, 2);
  });

  test('collective - policy votes need the same quorum; a second vote is a duplicate; old epochs are refused', async () => {
    const d = deps();
    const [a, b, c] = [komrade(), komrade(), komrade()];
    await act(d, create(a, 'portland', { kind: 'fixed', count: 3 }));
    for (const [i, m] of [b, c].entries()) {
      await act(d, join(m, 'portland'));
      const vouchers = [a, b].slice(0, i + 1);
      for (const v of vouchers) await act(d, await vouchReq(d, 'portland', v, m));
    }
    assert.equal((await show(d, 'portland')).quorum, 3);
    const vote = async (m: Member, policy: QuorumPolicy, policyEpoch = 1) =>
      handleCollectiveRequest(
        d,
        request(m.id, 'portland', {
          type: MessageType.CollectivePolicyVote,
          memberEpoch: (await epochs(d, 'portland', m.id.publicKey)).member ?? 0,
          policyEpoch,
          policy,
        }),
      );
    const half: QuorumPolicy = { kind: 'fraction', num: 1, den: 2, min: 1 };
    assert.equal(resultOf(await vote(a, half)).outcome, CollectiveOutcome.Voted);
    assert.equal(codeOf(await vote(a, half)), 'ERR_VOUCH_DUPLICATE');
    assert.equal(codeOf(await vote(a, { kind: 'fixed', count: 3 })), 'ERR_COLLECTIVE_POLICY');
    const v = await show(d, 'portland');
    assert.equal(v.proposals.length, 1);
    assert.equal(v.proposals[0]?.votes, 1);
    assert.equal(resultOf(await vote(b, half)).outcome, CollectiveOutcome.Voted);
    const changed = resultOf(await vote(c, half));
    assert.equal(changed.outcome, CollectiveOutcome.PolicyChanged);
    assert.equal(changed.epoch, 2);
    const after = await show(d, 'portland');
    assert.deepEqual(after.policy, half);
    assert.equal(after.quorum, 2);
    assert.equal(after.proposals.length, 0);
    assert.equal(codeOf(await vote(a, { kind: 'fixed', count: 1 }, 1)), 'ERR_COLLECTIVE_POLICY');
    assert.deepEqual(
      [...d.store.values.keys()].filter((k) => k.startsWith('t.')),
      [],
    );
  });

  test('collective - the fan-out answer lists current members with their mailbox keys; unknown ids are not found', async () => {
    const d = deps();
    const [a, b] = [komrade(), komrade()];
    const created = await act(d, create(a, 'portland', { kind: 'fixed', count: 1 }));
    await act(d, join(b, 'portland'));
    const fan = async () => {
      const r = decodeFanoutMembers(
        await handleFanout(d, encodeFanoutQuery(created.fanoutId ?? new Uint8Array(16))),
      );
      assert.ok(r.ok);
      return r.value.map((t) => [toHex(t.mailboxId), toHex(t.mailboxKey)]);
    };
    // candidates get nothing
    assert.deepEqual(await fan(), [[toHex(a.mailboxId), toHex(a.mailboxKey)]]);
    await act(d, await vouchReq(d, 'portland', a, b));
    assert.equal((await fan()).length, 2);
    assert.equal(
      codeOf(await handleFanout(d, encodeFanoutQuery(new Uint8Array(16)))),
      'ERR_COLLECTIVE_NOT_FOUND',
    );
  });

  test('collective - a peer relay joins its komrades with mailboxes on that peer only; it cannot found collectives here', async () => {
    const d = deps();
    const [a, b, c] = [komrade(), komrade(), komrade()];
    const created = await act(d, create(a, 'portland', { kind: 'fixed', count: 1 }));
    const joinOn = (m: Member, mailboxRelay: string): Uint8Array =>
      request(m.id, 'portland', {
        type: MessageType.CollectiveJoin,
        mailboxRelay,
        mailboxId: m.mailboxId,
        mailboxKey: m.mailboxKey,
      });
    const viaPeer = (peer: string, body: Uint8Array) =>
      handleRemote(d, encodeRemoteCollective({ relay: peer, body }));
    // a local komrade cannot announce a mailbox on another relay, nor a peer one on a third
    assert.equal(await refused(d, joinOn(b, 'beta')), 'ERR_RELAY_UNKNOWN');
    assert.equal(codeOf(await viaPeer('beta', joinOn(b, 'gamma'))), 'ERR_RELAY_UNKNOWN');
    assert.equal(codeOf(await viaPeer('beta', joinOn(b, RELAY))), 'ERR_RELAY_UNKNOWN');
    // through beta, with a mailbox on beta: a candidacy like any other
    assert.equal(
      resultOf(await viaPeer('beta', joinOn(b, 'beta'))).outcome,
      CollectiveOutcome.Candidate,
    );
    // the public view is served to peers too, and shows no relay
    const v = decodeCollectiveView(
      await viaPeer('beta', encodeCollectiveShow({ name: 'portland' })),
    );
    assert.ok(v.ok);
    assert.equal(v.value.candidates.length, 1);
    // admission names the mailbox on beta, for the group key hand-over
    const admitted = resultOf(
      await handleCollectiveRequest(d, await vouchReq(d, 'portland', a, b)),
    );
    assert.equal(admitted.outcome, CollectiveOutcome.Admitted);
    assert.equal(admitted.admitted?.mailboxRelay, 'beta');
    // the fan-out lists each member's relay
    const fan = decodeFanoutMembers(
      await handleFanout(d, encodeFanoutQuery(created.fanoutId ?? new Uint8Array(16))),
    );
    assert.ok(fan.ok);
    assert.deepEqual(
      fan.value.map((t) => t.mailboxRelay),
      [RELAY, 'beta'],
    );
    // founding through a peer is refused (a collective lives on its founder's relay)
    const foreign = request(c.id, 'berlin', {
      type: MessageType.CollectiveCreate,
      groupKey: generateKeyPair().publicKey,
      mailboxId: c.mailboxId,
      mailboxKey: c.mailboxKey,
      policy: { kind: 'fixed', count: 1 },
    });
    assert.equal(codeOf(await viaPeer('beta', foreign)), 'ERR_RELAY_UNKNOWN');
    assert.equal((await show(d, 'portland')).members.length, 2);
  });

  test('collective - overall vouch counts add up over collectives; stored data holds keyed tokens, never the voucher', async () => {
    const d = deps();
    const [a, b, x] = [komrade(), komrade(), komrade()];
    await act(d, create(a, 'portland', { kind: 'fixed', count: 2 }));
    await act(d, create(b, 'seattle', { kind: 'fixed', count: 1 }));
    await act(d, join(b, 'portland'));
    await act(d, await vouchReq(d, 'portland', a, b));
    await act(d, join(x, 'portland'));
    await act(d, join(x, 'seattle'));
    await act(d, await vouchReq(d, 'portland', a, x));
    const count = async (k: Uint8Array) => {
      const c = decodeVouchCount(await handleCount(d, encodeVouchCountQuery({ identityKey: k })));
      assert.ok(c.ok);
      return c.value;
    };
    assert.equal(await count(x.id.publicKey), 1);
    await act(d, await vouchReq(d, 'seattle', b, x));
    assert.equal(await count(x.id.publicKey), 2);
    assert.equal(await count(b.id.publicKey), 1);
    assert.equal(await count(komrade().id.publicKey), 0);
    // x is still a candidate in portland (1 of 2): its token set holds one keyed token
    const view = await show(d, 'portland');
    const xEpoch = view.candidates[0]?.epoch ?? 0;
    const set = d.store.values.get(`t.portland.c${xEpoch}`)?.value;
    assert.ok(set);
    assert.equal(set.length, 16);
    const expected = createHmac('sha256', SECRET)
      .update('KM-VOUCH-1')
      .update(Uint8Array.of(8))
      .update('portland')
      .update(a.id.publicKey)
      .update(x.id.publicKey)
      .update(Uint8Array.of(0, 0, 0, xEpoch))
      .digest()
      .subarray(0, 16);
    assert.deepEqual(Buffer.from(set), expected);
    // no stored value holds the voucher's key outside the membership lists of the records
    for (const [key, v] of d.store.values) {
      if (key.startsWith('c.')) continue;
      assert.equal(Buffer.from(v.value).indexOf(Buffer.from(a.id.publicKey)), -1, key);
      assert.ok(!key.includes(toHex(a.id.publicKey)) || key === `k.${toHex(a.id.publicKey)}`, key);
    }
  });
});
