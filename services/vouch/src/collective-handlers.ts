import {
  bytesEqual,
  checkRegistrable,
  CollectiveOutcome,
  COLLECTIVE_CLOCK_WINDOW_MS,
  decodeCollectiveRecord,
  decodeCollectiveRequest,
  decodeCollectiveShow,
  decodeFanoutQuery,
  decodeRemoteCollective,
  decodeVouchCountQuery,
  encodeCollectiveRecord,
  encodeCollectiveResult,
  encodeCollectiveView,
  encodeErrorReply,
  encodeFanoutMembers,
  encodeVouchCount,
  fail,
  formatPolicy,
  isPublicKey,
  MAX_CANDIDATES,
  MAX_COLLECTIVE_MEMBERS,
  MAX_PROPOSALS,
  MessageType,
  ok,
  openCollectiveRequest,
  quorumFor,
  samePolicy,
  tokenSetKey,
  toHex,
  vouchCountKey,
  type CollectiveAction,
  type CollectiveCreate,
  type CollectiveJoin,
  type CollectiveLeave,
  type CollectivePolicyVote,
  type CollectiveRecord,
  type CollectiveResult,
  type CollectiveVouch,
  type ErrorCode,
  type RecordEntry,
  type Result,
} from '@komrade/protocol';
import type { CollectiveStore } from './collective-store.js';
import { countDigest, proposalTag, type VouchTokens } from './vouch-tokens.js';

export interface CollectiveDeps {
  readonly store: CollectiveStore;
  /** Collectives (and their members' mailboxes) live on this relay. */
  readonly relayName: string;
  readonly now: () => number;
  readonly tokens: VouchTokens;
  /** 16 random bytes (fan-out ids). */
  readonly random: () => Uint8Array;
  /** Called once per admission (a metric). Never told who or where. */
  readonly onAdmission?: () => void;
}

const U16 = 0xffff;
const enc = new TextEncoder();

/** What one read-modify-write of a record decided. */
interface Step {
  /** The record to write (compare-and-set), or undefined to write nothing. */
  readonly next?: CollectiveRecord;
  readonly reply: Result<CollectiveResult>;
  /** Runs once the write (if any) succeeded. */
  readonly after?: () => Promise<void>;
}

/**
 * Reads a collective's record, lets `decide` work out the change, and writes it only if
 * nobody changed the record meanwhile (KV revision); otherwise reads again and decides
 * again. Side effects inside `decide` must be idempotent (token sets are).
 */
async function withRecord(
  deps: CollectiveDeps,
  name: string,
  decide: (rec: CollectiveRecord) => Promise<Step>,
): Promise<Result<CollectiveResult>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const cur = await deps.store.getRecord(name);
    if (cur === undefined) return fail('ERR_COLLECTIVE_NOT_FOUND');
    const rec = decodeCollectiveRecord(cur.value);
    if (!rec.ok) throw new Error('stored collective record does not decode');
    const step = await decide(rec.value);
    if (
      step.next === undefined ||
      (await deps.store.updateRecord(name, encodeCollectiveRecord(step.next), cur.revision))
    ) {
      if (step.after) await step.after();
      return step.reply;
    }
  }
  return fail('ERR_SERVICE_UNAVAILABLE');
}

const same = (k: Uint8Array) => (e: { identityKey: Uint8Array }) => bytesEqual(e.identityKey, k);

function result(
  outcome: CollectiveOutcome,
  rec: { policy: CollectiveRecord['policy']; members: readonly unknown[] },
  epoch: number,
  vouches: number,
  extra: Partial<CollectiveResult> = {},
): Result<CollectiveResult> {
  const n = rec.members.length;
  return ok({
    outcome,
    epoch,
    vouches: Math.min(vouches, U16),
    quorum: quorumFor(rec.policy, n),
    members: n,
    ...extra,
  });
}

async function create(
  deps: CollectiveDeps,
  actor: Uint8Array,
  a: CollectiveCreate,
): Promise<Result<CollectiveResult>> {
  const allowed = checkRegistrable(a.collective);
  if (!allowed.ok) return allowed;
  if (!isPublicKey(a.groupKey) || !isPublicKey(a.mailboxKey)) return fail('ERR_CRYPTO_KEY_INVALID');
  const answerExisting = async (): Promise<Result<CollectiveResult>> => {
    const cur = await deps.store.getRecord(a.collective);
    if (cur === undefined) return fail('ERR_SERVICE_UNAVAILABLE');
    const rec = decodeCollectiveRecord(cur.value);
    if (!rec.ok) throw new Error('stored collective record does not decode');
    const r = rec.value;
    // the same founder with the same group key is a retry: answer what is stored
    if (!bytesEqual(r.founderKey, actor) || !bytesEqual(r.groupKey, a.groupKey))
      return fail('ERR_COLLECTIVE_TAKEN');
    const me = r.members.find(same(actor));
    return result(CollectiveOutcome.Created, r, me?.epoch ?? 1, 0, { fanoutId: r.fanoutId });
  };
  if ((await deps.store.getRecord(a.collective)) !== undefined) return answerExisting();
  let fanoutId = deps.random();
  for (let i = 0; !(await deps.store.claimFanout(toHex(fanoutId), a.collective)); i++) {
    if (i >= 3) return fail('ERR_SERVICE_UNAVAILABLE');
    fanoutId = deps.random();
  }
  const founder: RecordEntry = {
    identityKey: actor,
    mailboxRelay: deps.relayName,
    mailboxId: a.mailboxId,
    mailboxKey: a.mailboxKey,
    epoch: 1,
    vouches: 0,
  };
  const record: CollectiveRecord = {
    name: a.collective,
    founderKey: actor,
    groupKey: a.groupKey,
    fanoutId,
    policy: a.policy,
    policyEpoch: 1,
    nextEpoch: 2,
    createdMs: deps.now(),
    members: [founder],
    candidates: [],
    proposals: [],
  };
  if (await deps.store.createRecord(a.collective, encodeCollectiveRecord(record)))
    return result(CollectiveOutcome.Created, record, 1, 0, { fanoutId });
  // lost a race for the name: give the fan-out id back
  await deps.store.releaseFanout(toHex(fanoutId));
  return answerExisting();
}

function join(
  deps: CollectiveDeps,
  actor: Uint8Array,
  a: CollectiveJoin,
  origin: string | undefined,
): Promise<Result<CollectiveResult>> {
  // a candidate's mailbox is on its home relay: ours, or the peer that sent the request
  if (a.mailboxRelay !== (origin ?? deps.relayName))
    return Promise.resolve(fail('ERR_RELAY_UNKNOWN'));
  return withRecord(deps, a.collective, async (rec) => {
    if (rec.members.some(same(actor))) return { reply: fail('ERR_COLLECTIVE_MEMBER') };
    const existing = rec.candidates.find(same(actor));
    if (existing)
      return { reply: result(CollectiveOutcome.Candidate, rec, existing.epoch, existing.vouches) };
    if (rec.candidates.length >= MAX_CANDIDATES) return { reply: fail('ERR_COLLECTIVE_FULL') };
    if (!isPublicKey(a.mailboxKey)) return { reply: fail('ERR_CRYPTO_KEY_INVALID') };
    const candidate: RecordEntry = {
      identityKey: actor,
      mailboxRelay: a.mailboxRelay,
      mailboxId: a.mailboxId,
      mailboxKey: a.mailboxKey,
      epoch: rec.nextEpoch,
      vouches: 0,
    };
    return Promise.resolve({
      next: { ...rec, nextEpoch: rec.nextEpoch + 1, candidates: [...rec.candidates, candidate] },
      reply: result(CollectiveOutcome.Candidate, rec, candidate.epoch, 0),
    });
  });
}

/**
 * A member vouches for a candidacy (SPEC 20.4): the keyed token goes into the
 * candidacy's token set (a double vouch adds nothing), its digest into the candidate's
 * overall count set, and the candidacy's count is the set's size. At quorum(n) the
 * candidate is admitted and the answer names its collective mailbox, for the group key
 * hand-over. Nothing that names the voucher is stored.
 */
function vouch(
  deps: CollectiveDeps,
  actor: Uint8Array,
  a: CollectiveVouch,
): Promise<Result<CollectiveResult>> {
  let addedByThisRequest = false;
  return withRecord(deps, a.collective, async (rec) => {
    if (!rec.members.some((m) => same(actor)(m) && m.epoch === a.memberEpoch))
      return { reply: fail('ERR_COLLECTIVE_NOT_MEMBER') };
    const admittedMeanwhile = rec.members.find(same(a.candidateKey));
    if (admittedMeanwhile) {
      // our token was counted, then a concurrent vouch (another request, maybe another
      // instance) wrote the admission first: this vouch counted all the same
      if (addedByThisRequest)
        return {
          reply: result(
            CollectiveOutcome.Counted,
            rec,
            a.candidacyEpoch,
            admittedMeanwhile.vouches,
          ),
        };
      return { reply: fail('ERR_COLLECTIVE_MEMBER') };
    }
    const cand = rec.candidates.find(
      (c) => same(a.candidateKey)(c) && c.epoch === a.candidacyEpoch,
    );
    if (!cand) return { reply: fail('ERR_COLLECTIVE_NOT_CANDIDATE') };
    const token = deps.tokens.vouch(rec.name, actor, cand.identityKey, cand.epoch);
    const setKey = tokenSetKey(rec.name, `c${cand.epoch}`);
    const added = await deps.store.addToSet(setKey, token);
    if (added.added) addedByThisRequest = true;
    // idempotent: a vouch sent again repairs an overall count a crash left short
    await deps.store.addToSet(vouchCountKey(toHex(cand.identityKey)), countDigest(token));
    const vouches = Math.min(added.size, U16);
    const n = rec.members.length;
    const others = rec.candidates.filter((c) => c !== cand);
    if (vouches >= quorumFor(rec.policy, n)) {
      if (n >= MAX_COLLECTIVE_MEMBERS) return { reply: fail('ERR_COLLECTIVE_FULL') };
      const member: RecordEntry = { ...cand, epoch: rec.nextEpoch, vouches };
      const next = {
        ...rec,
        nextEpoch: rec.nextEpoch + 1,
        members: [...rec.members, member],
        candidates: others,
      };
      return {
        next,
        reply: result(CollectiveOutcome.Admitted, next, cand.epoch, vouches, {
          admitted: {
            mailboxRelay: cand.mailboxRelay,
            mailboxId: cand.mailboxId,
            mailboxKey: cand.mailboxKey,
          },
        }),
        after: async () => {
          deps.onAdmission?.();
          // the tokens have done their job: keep nothing that could later be tested
          await deps.store.purge(setKey);
        },
      };
    }
    const counted: RecordEntry = { ...cand, vouches };
    const next =
      vouches === cand.vouches
        ? undefined
        : { ...rec, candidates: rec.candidates.map((c) => (c === cand ? counted : c)) };
    if (!addedByThisRequest)
      return next
        ? { next, reply: fail('ERR_VOUCH_DUPLICATE') }
        : { reply: fail('ERR_VOUCH_DUPLICATE') };
    return {
      ...(next ? { next } : {}),
      reply: result(CollectiveOutcome.Counted, rec, cand.epoch, vouches),
    };
  });
}

function leave(
  deps: CollectiveDeps,
  actor: Uint8Array,
  a: CollectiveLeave,
): Promise<Result<CollectiveResult>> {
  return withRecord(deps, a.collective, (rec) => {
    const isMe = (e: RecordEntry): boolean => same(actor)(e) && e.epoch === a.epoch;
    if (rec.members.some(isMe)) {
      const next = { ...rec, members: rec.members.filter((m) => !isMe(m)) };
      return Promise.resolve({ next, reply: result(CollectiveOutcome.Left, next, a.epoch, 0) });
    }
    if (rec.candidates.some(isMe)) {
      const next = { ...rec, candidates: rec.candidates.filter((c) => !isMe(c)) };
      return Promise.resolve({
        next,
        reply: result(CollectiveOutcome.Left, next, a.epoch, 0),
        after: () => deps.store.purge(tokenSetKey(rec.name, `c${a.epoch}`)),
      });
    }
    return Promise.resolve({ reply: fail('ERR_COLLECTIVE_NOT_MEMBER') });
  });
}

function vote(
  deps: CollectiveDeps,
  actor: Uint8Array,
  a: CollectivePolicyVote,
): Promise<Result<CollectiveResult>> {
  let addedByThisRequest = false;
  return withRecord(deps, a.collective, async (rec) => {
    if (!rec.members.some((m) => same(actor)(m) && m.epoch === a.memberEpoch))
      return { reply: fail('ERR_COLLECTIVE_NOT_MEMBER') };
    // our vote was counted, then a concurrent vote carried the same proposal first
    if (
      addedByThisRequest &&
      rec.policyEpoch === a.policyEpoch + 1 &&
      samePolicy(a.policy, rec.policy)
    )
      return { reply: result(CollectiveOutcome.Voted, rec, rec.policyEpoch, 0) };
    if (a.policyEpoch !== rec.policyEpoch || samePolicy(a.policy, rec.policy))
      return { reply: fail('ERR_COLLECTIVE_POLICY') };
    const text = enc.encode(formatPolicy(a.policy));
    const idx = rec.proposals.findIndex((p) => samePolicy(p.policy, a.policy));
    if (idx < 0 && rec.proposals.length >= MAX_PROPOSALS)
      return { reply: fail('ERR_COLLECTIVE_FULL') };
    const setKey = tokenSetKey(rec.name, `p${rec.policyEpoch}-${proposalTag(text)}`);
    const added = await deps.store.addToSet(
      setKey,
      deps.tokens.vote(rec.name, actor, rec.policyEpoch, text),
    );
    if (added.added) addedByThisRequest = true;
    const votes = Math.min(added.size, U16);
    if (votes >= quorumFor(rec.policy, rec.members.length)) {
      const decided = rec.proposals.map((p) =>
        tokenSetKey(
          rec.name,
          `p${rec.policyEpoch}-${proposalTag(enc.encode(formatPolicy(p.policy)))}`,
        ),
      );
      const next = { ...rec, policy: a.policy, policyEpoch: rec.policyEpoch + 1, proposals: [] };
      return {
        next,
        reply: result(CollectiveOutcome.PolicyChanged, next, next.policyEpoch, votes),
        after: async () => {
          for (const k of new Set([...decided, setKey])) await deps.store.purge(k);
        },
      };
    }
    if (!addedByThisRequest) return { reply: fail('ERR_VOUCH_DUPLICATE') };
    const proposal = { policy: a.policy, votes };
    const proposals =
      idx < 0
        ? [...rec.proposals, proposal]
        : rec.proposals.map((p, i) => (i === idx ? proposal : p));
    return {
      next: { ...rec, proposals },
      reply: result(CollectiveOutcome.Voted, rec, rec.policyEpoch, votes),
    };
  });
}

function reply(r: Result<CollectiveResult>): Uint8Array {
  return r.ok ? encodeCollectiveResult(r.value) : encodeErrorReply(r.code);
}

/**
 * CollectiveRequest -> CollectiveResult. Checks, in SPEC 20.2's order: framing, the
 * signature (one Themis verify), the action, the relay, the clock window, the nonce; then
 * the action itself. Logs nothing about the request. `origin` is the peer relay a
 * request came through (SPEC 20.9); undefined for this relay's own komrades.
 */
export async function handleCollectiveRequest(
  deps: CollectiveDeps,
  data: Uint8Array,
  origin?: string,
): Promise<Uint8Array> {
  const req = decodeCollectiveRequest(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const opened = openCollectiveRequest(req.value);
  if (!opened.ok) return encodeErrorReply(opened.code);
  const a: CollectiveAction = opened.value;
  if (a.relay !== deps.relayName) return encodeErrorReply('ERR_RELAY_UNKNOWN');
  if (Math.abs(deps.now() - a.timestampMs) > COLLECTIVE_CLOCK_WINDOW_MS)
    return encodeErrorReply('ERR_SEAL_STALE');
  if (!(await deps.store.useNonce(toHex(deps.tokens.nonce(a.nonce)))))
    return encodeErrorReply('ERR_COLLECTIVE_REPLAY');
  const actor = req.value.identityKey;
  switch (a.type) {
    case MessageType.CollectiveCreate:
      // a collective is founded on its founder's home relay
      if (origin !== undefined) return encodeErrorReply('ERR_RELAY_UNKNOWN');
      return reply(await create(deps, actor, a));
    case MessageType.CollectiveJoin:
      return reply(await join(deps, actor, a, origin));
    case MessageType.CollectiveVouch:
      return reply(await vouch(deps, actor, a));
    case MessageType.CollectiveLeave:
      return reply(await leave(deps, actor, a));
    case MessageType.CollectivePolicyVote:
      return reply(await vote(deps, actor, a));
  }
}

async function readRecord(
  deps: CollectiveDeps,
  name: string,
): Promise<CollectiveRecord | ErrorCode> {
  const cur = await deps.store.getRecord(name);
  if (cur === undefined) return 'ERR_COLLECTIVE_NOT_FOUND';
  const rec = decodeCollectiveRecord(cur.value);
  if (!rec.ok) throw new Error('stored collective record does not decode');
  return rec.value;
}

/** CollectiveShow -> the public view: no mailbox, no fan-out id, counts only. No crypto. */
export async function handleShow(deps: CollectiveDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeCollectiveShow(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const rec = await readRecord(deps, req.value.name);
  if (typeof rec === 'string') return encodeErrorReply(rec);
  const pub = (e: RecordEntry) => ({
    identityKey: e.identityKey,
    epoch: e.epoch,
    vouches: e.vouches,
  });
  return encodeCollectiveView({
    name: rec.name,
    founderKey: rec.founderKey,
    groupKey: rec.groupKey,
    policy: rec.policy,
    policyEpoch: rec.policyEpoch,
    quorum: quorumFor(rec.policy, rec.members.length),
    createdMs: rec.createdMs,
    members: rec.members.map(pub),
    candidates: rec.candidates.map(pub),
    proposals: rec.proposals,
  });
}

/** VouchCountQuery -> how many vouches a komrade has received, over all collectives. */
export async function handleCount(deps: CollectiveDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeVouchCountQuery(data);
  if (!req.ok) return encodeErrorReply(req.code);
  return encodeVouchCount(await deps.store.setSize(vouchCountKey(toHex(req.value.identityKey))));
}

/** FanoutQuery (from the sorter) -> the current members' collective mailboxes and keys. */
export async function handleFanout(deps: CollectiveDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeFanoutQuery(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const name = await deps.store.fanoutName(toHex(req.value));
  if (name === undefined) return encodeErrorReply('ERR_COLLECTIVE_NOT_FOUND');
  const rec = await readRecord(deps, name);
  if (typeof rec === 'string' || !bytesEqual(rec.fanoutId, req.value))
    return encodeErrorReply('ERR_COLLECTIVE_NOT_FOUND');
  return encodeFanoutMembers(
    rec.members.map((m) => ({
      mailboxRelay: m.mailboxRelay,
      mailboxId: m.mailboxId,
      mailboxKey: m.mailboxKey,
    })),
  );
}

/**
 * A peer relay's request (subject `komrade.v1.collective.remote`, SPEC 20.9): a
 * RemoteCollective naming the peer it came from, around a CollectiveRequest (a join must
 * then name a mailbox on that peer), a CollectiveShow or a VouchCountQuery.
 */
export async function handleRemote(deps: CollectiveDeps, data: Uint8Array): Promise<Uint8Array> {
  const req = decodeRemoteCollective(data);
  if (!req.ok) return encodeErrorReply(req.code);
  const { relay, body } = req.value;
  // the decoder admits only these three types
  if (body[3] === MessageType.CollectiveRequest) return handleCollectiveRequest(deps, body, relay);
  if (body[3] === MessageType.CollectiveShow) return handleShow(deps, body);
  return handleCount(deps, body);
}
