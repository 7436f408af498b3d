import { sha256 } from '@noble/hashes/sha2.js';
import type { Result } from '../result.js';
import {
  MAILBOX_ID_SIZE,
  MESSAGE_ID_SIZE,
  PUBLIC_KEY_SIZE,
  readAddress,
  readRelay,
  writeAddress,
  type MailboxAddress,
} from './address.js';
import { decodeWith } from './decode.js';
import { readName, writeName } from './directory.js';
import { POSTAGE_SIZE } from './envelope.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { readPolicy, writePolicy, type QuorumPolicy } from './quorum-policy.js';
import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** Most members a collective may have (its record must fit one JetStream KV value). */
export const MAX_COLLECTIVE_MEMBERS = 4096;
/** Most open candidacies at once. */
export const MAX_CANDIDATES = 256;
/** Most policy proposals open at once. */
export const MAX_PROPOSALS = 8;
/** Largest signed collective action accepted (a real one is 150 to 250 bytes). */
export const MAX_SIGNED_ACTION = 1024;
/** How far a signed action's timestamp may be from the relay clock, either way. */
export const COLLECTIVE_CLOCK_WINDOW_MS = 10 * 60_000;
/** Size of the random nonce in every signed action (used once, section 19). */
export const COLLECTIVE_NONCE_SIZE = 16;

const enc = new TextEncoder();
const U16 = 0xffff;
const U32 = 0xffffffff;

function checkKey(k: Uint8Array, what: string): void {
  if (k.length !== PUBLIC_KEY_SIZE) throw new RangeError(`${what} must be 45 bytes`);
}

function checkId(id: Uint8Array, what: string): void {
  if (id.length !== MAILBOX_ID_SIZE) throw new RangeError(`${what} must be 16 bytes`);
}

function checkInt(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(what);
}

const readKey = (r: Reader, what: string): Uint8Array =>
  r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, what);

// ---------------------------------------------------------------------------------------
// Signed actions

/** What every signed collective action starts with: where, which collective, when, once. */
export interface CollectiveActionBase {
  /** The relay the collective lives on (a request for one relay is void on another). */
  readonly relay: string;
  /** Canonical collective name (the same rules as komrade names, a separate namespace). */
  readonly collective: string;
  /** Signer's clock, Unix milliseconds; within 10 minutes of the relay clock. */
  readonly timestampMs: number;
  /** 16 random bytes; the relay refuses a nonce it has seen (ERR_COLLECTIVE_REPLAY). */
  readonly nonce: Uint8Array;
}

/*
 * Common prefix of every signed action (after the header):
 * +---------------------+-----------------+---------------+-------------+
 * | relay (u8 + ASCII)  | collective name | timestamp u64 | nonce (16)  |
 * +---------------------+-----------------+---------------+-------------+
 */
function writeBase(w: Writer, b: CollectiveActionBase): void {
  if (b.nonce.length !== COLLECTIVE_NONCE_SIZE) throw new RangeError('nonce must be 16 bytes');
  w.bytesU8(enc.encode(b.relay));
  writeName(w, b.collective);
  w.u64(b.timestampMs).bytes(b.nonce);
}

function readBase(r: Reader): CollectiveActionBase {
  const relay = readRelay(r);
  const collective = readName(r);
  const timestampMs = r.u64('timestamp');
  const nonce = r.bytesFixed(COLLECTIVE_NONCE_SIZE, 'nonce');
  return { relay, collective, timestampMs, nonce };
}

/** Founds a collective; the signer becomes its founder and first member. */
export interface CollectiveCreate extends CollectiveActionBase {
  /** Public half of the group key pair made by the founder (posts are sealed to it). */
  readonly groupKey: Uint8Array;
  /** The founder's collective mailbox on this relay, and its public key. */
  readonly mailboxId: Uint8Array;
  readonly mailboxKey: Uint8Array;
  readonly policy: QuorumPolicy;
}

/*
 * CollectiveCreate (type 0x31), signed by the founder's identity key:
 * +--------+--------+-----------------------------+-----------------+------------------------------+--------+
 * | header | common | group key (u8 len=45 + key) | mailbox id (16) | mailbox key (u8 len=45 + key) | policy |
 * +--------+--------+-----------------------------+-----------------+------------------------------+--------+
 */
export function encodeCollectiveCreate(m: CollectiveCreate): Uint8Array {
  checkKey(m.groupKey, 'group key');
  checkKey(m.mailboxKey, 'mailbox key');
  checkId(m.mailboxId, 'mailbox id');
  const w = new Writer(256);
  writeHeader(w, MessageType.CollectiveCreate);
  writeBase(w, m);
  w.bytesU8(m.groupKey).bytes(m.mailboxId).bytesU8(m.mailboxKey);
  writePolicy(w, m.policy);
  return w.finish();
}

export function decodeCollectiveCreate(bytes: Uint8Array): Result<CollectiveCreate> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveCreate);
    const base = readBase(r);
    const groupKey = readKey(r, 'group key');
    const mailboxId = r.bytesFixed(MAILBOX_ID_SIZE, 'mailbox id');
    const mailboxKey = readKey(r, 'mailbox key');
    const policy = readPolicy(r);
    return { ...base, groupKey, mailboxId, mailboxKey, policy };
  });
}

/** Announces the signer's candidacy, with the mailbox posts will reach once admitted. */
export interface CollectiveJoin extends CollectiveActionBase {
  /**
   * The relay of the candidate's collective mailbox: the collective's own relay, or (for a
   * komrade of a peer relay, SPEC.md section 20.9) the candidate's home relay.
   */
  readonly mailboxRelay: string;
  readonly mailboxId: Uint8Array;
  readonly mailboxKey: Uint8Array;
}

/*
 * CollectiveJoin (type 0x32), signed by the candidate:
 * +--------+--------+-------------------------------+-------------------------------+
 * | header | common | mailbox address (relay + id)  | mailbox key (u8 len=45 + key) |
 * +--------+--------+-------------------------------+-------------------------------+
 */
export function encodeCollectiveJoin(m: CollectiveJoin): Uint8Array {
  checkKey(m.mailboxKey, 'mailbox key');
  checkId(m.mailboxId, 'mailbox id');
  const w = new Writer(192);
  writeHeader(w, MessageType.CollectiveJoin);
  writeBase(w, m);
  writeAddress(w, { relay: m.mailboxRelay, id: m.mailboxId });
  w.bytesU8(m.mailboxKey);
  return w.finish();
}

export function decodeCollectiveJoin(bytes: Uint8Array): Result<CollectiveJoin> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveJoin);
    const base = readBase(r);
    const mailbox = readAddress(r);
    const mailboxKey = readKey(r, 'mailbox key');
    return { ...base, mailboxRelay: mailbox.relay, mailboxId: mailbox.id, mailboxKey };
  });
}

/** A member vouches for one candidacy of one candidate. */
export interface CollectiveVouch extends CollectiveActionBase {
  /** The signer's membership epoch: a member who left cannot have old vouches replayed. */
  readonly memberEpoch: number;
  readonly candidateKey: Uint8Array;
  /** The candidacy vouched for: a vouch never carries over to a later candidacy. */
  readonly candidacyEpoch: number;
}

/*
 * CollectiveVouch (type 0x33), signed by the voucher:
 * +--------+--------+------------------+---------------------------------+--------------------+
 * | header | common | member epoch u32 | candidate key (u8 len=45 + key) | candidacy epoch u32 |
 * +--------+--------+------------------+---------------------------------+--------------------+
 */
export function encodeCollectiveVouch(m: CollectiveVouch): Uint8Array {
  checkKey(m.candidateKey, 'candidate key');
  checkInt(m.memberEpoch, U32, 'member epoch');
  checkInt(m.candidacyEpoch, U32, 'candidacy epoch');
  const w = new Writer(192);
  writeHeader(w, MessageType.CollectiveVouch);
  writeBase(w, m);
  w.u32(m.memberEpoch).bytesU8(m.candidateKey).u32(m.candidacyEpoch);
  return w.finish();
}

export function decodeCollectiveVouch(bytes: Uint8Array): Result<CollectiveVouch> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveVouch);
    const base = readBase(r);
    const memberEpoch = r.u32('member epoch');
    const candidateKey = readKey(r, 'candidate key');
    const candidacyEpoch = r.u32('candidacy epoch');
    return { ...base, memberEpoch, candidateKey, candidacyEpoch };
  });
}

/** Leaves the collective (a member) or withdraws a candidacy (a candidate). */
export interface CollectiveLeave extends CollectiveActionBase {
  /** The membership or candidacy epoch being ended. */
  readonly epoch: number;
}

/*
 * CollectiveLeave (type 0x34), signed by the member or candidate:
 * +--------+--------+-----------+
 * | header | common | epoch u32 |
 * +--------+--------+-----------+
 */
export function encodeCollectiveLeave(m: CollectiveLeave): Uint8Array {
  checkInt(m.epoch, U32, 'epoch');
  const w = new Writer(96);
  writeHeader(w, MessageType.CollectiveLeave);
  writeBase(w, m);
  w.u32(m.epoch);
  return w.finish();
}

export function decodeCollectiveLeave(bytes: Uint8Array): Result<CollectiveLeave> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveLeave);
    const base = readBase(r);
    return { ...base, epoch: r.u32('epoch') };
  });
}

/** A member votes to replace the quorum policy. */
export interface CollectivePolicyVote extends CollectiveActionBase {
  readonly memberEpoch: number;
  /** The policy epoch voted under: votes never carry over once the policy changed. */
  readonly policyEpoch: number;
  readonly policy: QuorumPolicy;
}

/*
 * CollectivePolicyVote (type 0x35), signed by the voter:
 * +--------+--------+------------------+------------------+--------+
 * | header | common | member epoch u32 | policy epoch u32 | policy |
 * +--------+--------+------------------+------------------+--------+
 */
export function encodeCollectivePolicyVote(m: CollectivePolicyVote): Uint8Array {
  checkInt(m.memberEpoch, U32, 'member epoch');
  checkInt(m.policyEpoch, U32, 'policy epoch');
  const w = new Writer(160);
  writeHeader(w, MessageType.CollectivePolicyVote);
  writeBase(w, m);
  w.u32(m.memberEpoch).u32(m.policyEpoch);
  writePolicy(w, m.policy);
  return w.finish();
}

export function decodeCollectivePolicyVote(bytes: Uint8Array): Result<CollectivePolicyVote> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectivePolicyVote);
    const base = readBase(r);
    const memberEpoch = r.u32('member epoch');
    const policyEpoch = r.u32('policy epoch');
    const policy = readPolicy(r);
    return { ...base, memberEpoch, policyEpoch, policy };
  });
}

/** Any signed collective action, tagged with its message type. */
export type CollectiveAction =
  | ({ readonly type: typeof MessageType.CollectiveCreate } & CollectiveCreate)
  | ({ readonly type: typeof MessageType.CollectiveJoin } & CollectiveJoin)
  | ({ readonly type: typeof MessageType.CollectiveVouch } & CollectiveVouch)
  | ({ readonly type: typeof MessageType.CollectiveLeave } & CollectiveLeave)
  | ({ readonly type: typeof MessageType.CollectivePolicyVote } & CollectivePolicyVote);

/** The message type of a signed action (0x31 to 0x35). */
export type CollectiveActionType = CollectiveAction['type'];

const ACTION_TYPES: ReadonlySet<number> = new Set([
  MessageType.CollectiveCreate,
  MessageType.CollectiveJoin,
  MessageType.CollectiveVouch,
  MessageType.CollectiveLeave,
  MessageType.CollectivePolicyVote,
]);

/** True for the message types of signed actions. */
export function isCollectiveActionType(t: number): t is CollectiveActionType {
  return ACTION_TYPES.has(t);
}

export function encodeCollectiveAction(a: CollectiveAction): Uint8Array {
  switch (a.type) {
    case MessageType.CollectiveCreate:
      return encodeCollectiveCreate(a);
    case MessageType.CollectiveJoin:
      return encodeCollectiveJoin(a);
    case MessageType.CollectiveVouch:
      return encodeCollectiveVouch(a);
    case MessageType.CollectiveLeave:
      return encodeCollectiveLeave(a);
    case MessageType.CollectivePolicyVote:
      return encodeCollectivePolicyVote(a);
  }
}

function tagged<T, K extends CollectiveActionType>(
  type: K,
  res: Result<T>,
): Result<{ readonly type: K } & T> {
  return res.ok ? { ok: true, value: { type, ...res.value } } : res;
}

/**
 * Decodes whichever signed action the bytes hold, by their type byte (after checking
 * magic and version like any decoder). Any other type is ERR_WIRE_TYPE.
 */
export function decodeCollectiveAction(bytes: Uint8Array): Result<CollectiveAction> {
  const type = bytes instanceof Uint8Array && bytes.length >= 4 ? (bytes[3] as number) : -1;
  switch (type) {
    case MessageType.CollectiveCreate:
      return tagged(type, decodeCollectiveCreate(bytes));
    case MessageType.CollectiveJoin:
      return tagged(type, decodeCollectiveJoin(bytes));
    case MessageType.CollectiveVouch:
      return tagged(type, decodeCollectiveVouch(bytes));
    case MessageType.CollectiveLeave:
      return tagged(type, decodeCollectiveLeave(bytes));
    case MessageType.CollectivePolicyVote:
      return tagged(type, decodeCollectivePolicyVote(bytes));
    default:
      // magic and version are reported before the type, as everywhere
      return decodeCollectiveCreate(bytes) as Result<never>;
  }
}

/** A signed action as it travels: who signs, which action, postage, and the signed bytes. */
export interface CollectiveRequest {
  /** The message type of the signed action inside (checked against it by vouch). */
  readonly action: CollectiveActionType;
  readonly identityKey: Uint8Array;
  /** Proof-of-work nonce over collectiveRequestIdOf(identityKey, signed). */
  readonly postage: Uint8Array;
  /** Themis Secure Message signed form of the action. */
  readonly signed: Uint8Array;
}

/*
 * CollectiveRequest (type 0x30):
 * +--------+-----------+--------------------------------+-------------+-----------------------------------------+
 * | header | action u8 | identity key (u8 len=45 + key) | postage (8) | signed action (u16 len + bytes, 1-1024) |
 * +--------+-----------+--------------------------------+-------------+-----------------------------------------+
 * `action` is in the clear so the operator can price it (creating costs more); vouch
 * checks it equals the type of the signed action.
 */
export function encodeCollectiveRequest(m: CollectiveRequest): Uint8Array {
  if (!isCollectiveActionType(m.action)) throw new RangeError('action');
  checkKey(m.identityKey, 'identity key');
  if (m.postage.length !== POSTAGE_SIZE) throw new RangeError('postage must be 8 bytes');
  if (m.signed.length < 1 || m.signed.length > MAX_SIGNED_ACTION)
    throw new RangeError('signed action size');
  const w = new Writer(64 + m.signed.length);
  writeHeader(w, MessageType.CollectiveRequest);
  w.u8(m.action).bytesU8(m.identityKey).bytes(m.postage).bytesU16(m.signed);
  return w.finish();
}

export function decodeCollectiveRequest(bytes: Uint8Array): Result<CollectiveRequest> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveRequest);
    const action = r.u8('action');
    if (!isCollectiveActionType(action)) throw new WireError('ERR_WIRE_FIELD', 'action');
    const identityKey = readKey(r, 'identity key');
    const postage = r.bytesFixed(POSTAGE_SIZE, 'postage');
    const signed = r.bytesU16(1, MAX_SIGNED_ACTION, 'signed action');
    return { action, identityKey, postage, signed };
  });
}

const REQUEST_DOMAIN = enc.encode('KM-COLLECTIVE-1');

/**
 * What the postage of a collective request is bound to: the first 16 bytes of
 * SHA-256("KM-COLLECTIVE-1" || identity key || signed action).
 */
export function collectiveRequestIdOf(m: {
  readonly identityKey: Uint8Array;
  readonly signed: Uint8Array;
}): Uint8Array {
  return sha256
    .create()
    .update(REQUEST_DOMAIN)
    .update(m.identityKey)
    .update(m.signed)
    .digest()
    .slice(0, MESSAGE_ID_SIZE);
}

// ---------------------------------------------------------------------------------------
// Results of signed actions

/** What a signed action did. */
export const CollectiveOutcome = Object.freeze({
  /** The collective was founded (or already was, by this founder with this group key). */
  Created: 1,
  /** The signer is a candidate (new or existing candidacy). */
  Candidate: 2,
  /** The vouch was counted; not yet enough for admission. */
  Counted: 3,
  /** This vouch admitted the candidate; the reply names the new member's mailbox. */
  Admitted: 4,
  /** The membership or candidacy ended. */
  Left: 5,
  /** The policy vote was counted; not yet enough to change the policy. */
  Voted: 6,
  /** This vote changed the policy. */
  PolicyChanged: 7,
});
export type CollectiveOutcome = (typeof CollectiveOutcome)[keyof typeof CollectiveOutcome];
const OUTCOMES: ReadonlySet<number> = new Set(Object.values(CollectiveOutcome));

/** A vouch service's answer to a signed action. */
export interface CollectiveResult {
  readonly outcome: CollectiveOutcome;
  /**
   * created: the founder's membership epoch; candidate, counted, admitted: the
   * candidacy epoch; left: the epoch ended; voted, policy changed: the policy epoch now.
   */
  readonly epoch: number;
  /** Vouches (or votes) counted for that candidacy (or proposal) now. */
  readonly vouches: number;
  /** quorum(n) for the collective's size now. */
  readonly quorum: number;
  /** Members now. */
  readonly members: number;
  /** created only: the collective's fan-out mailbox id on this relay (members only learn it). */
  readonly fanoutId?: Uint8Array;
  /** admitted only: the new member's collective mailbox, for the group key hand-over. */
  readonly admitted?: {
    /** The mailbox's relay: the collective's, or the new member's home relay (20.9). */
    readonly mailboxRelay: string;
    readonly mailboxId: Uint8Array;
    readonly mailboxKey: Uint8Array;
  };
}

/*
 * CollectiveResult (type 0x38):
 * +--------+------------+-----------+-------------+------------+-------------+--------------------+
 * | header | outcome u8 | epoch u32 | vouches u16 | quorum u16 | members u16 | by outcome, below  |
 * +--------+------------+-----------+-------------+------------+-------------+--------------------+
 * created (1):  fan-out mailbox id (16)
 * admitted (4): mailbox address (relay + id) | mailbox key (u8 len=45 + key)
 * others:       nothing
 */
export function encodeCollectiveResult(m: CollectiveResult): Uint8Array {
  if (!OUTCOMES.has(m.outcome)) throw new RangeError('outcome');
  checkInt(m.epoch, U32, 'epoch');
  checkInt(m.vouches, U16, 'vouches');
  checkInt(m.quorum, U16, 'quorum');
  checkInt(m.members, U16, 'members');
  const created = m.outcome === CollectiveOutcome.Created;
  const admitted = m.outcome === CollectiveOutcome.Admitted;
  if (created !== (m.fanoutId !== undefined) || admitted !== (m.admitted !== undefined))
    throw new RangeError('extra fields must match the outcome');
  const w = new Writer(96);
  writeHeader(w, MessageType.CollectiveResult);
  w.u8(m.outcome).u32(m.epoch).u16(m.vouches).u16(m.quorum).u16(m.members);
  if (m.fanoutId) {
    checkId(m.fanoutId, 'fan-out id');
    w.bytes(m.fanoutId);
  }
  if (m.admitted) {
    checkId(m.admitted.mailboxId, 'mailbox id');
    checkKey(m.admitted.mailboxKey, 'mailbox key');
    writeAddress(w, { relay: m.admitted.mailboxRelay, id: m.admitted.mailboxId });
    w.bytesU8(m.admitted.mailboxKey);
  }
  return w.finish();
}

export function decodeCollectiveResult(bytes: Uint8Array): Result<CollectiveResult> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveResult);
    const outcome = r.u8('outcome');
    if (!OUTCOMES.has(outcome)) throw new WireError('ERR_WIRE_FIELD', 'outcome');
    const base = {
      outcome: outcome as CollectiveOutcome,
      epoch: r.u32('epoch'),
      vouches: r.u16('vouches'),
      quorum: r.u16('quorum'),
      members: r.u16('members'),
    };
    if (outcome === CollectiveOutcome.Created)
      return { ...base, fanoutId: r.bytesFixed(MAILBOX_ID_SIZE, 'fan-out id') };
    if (outcome === CollectiveOutcome.Admitted) {
      const mailbox = readAddress(r);
      const mailboxKey = readKey(r, 'mailbox key');
      return {
        ...base,
        admitted: { mailboxRelay: mailbox.relay, mailboxId: mailbox.id, mailboxKey },
      };
    }
    return base;
  });
}

// ---------------------------------------------------------------------------------------
// Public queries

/** Asks for the public view of a collective. */
export interface CollectiveShow {
  readonly name: string;
}

/*
 * CollectiveShow (type 0x36):
 * +--------+-----------------+
 * | header | collective name |
 * +--------+-----------------+
 */
export function encodeCollectiveShow(m: CollectiveShow): Uint8Array {
  const w = new Writer(40);
  writeHeader(w, MessageType.CollectiveShow);
  writeName(w, m.name);
  return w.finish();
}

export function decodeCollectiveShow(bytes: Uint8Array): Result<CollectiveShow> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveShow);
    return { name: readName(r) };
  });
}

/** A member or candidate as anyone may see it: no mailbox, no hint of who vouched. */
export interface PublicEntry {
  readonly identityKey: Uint8Array;
  /** Membership epoch (members) or candidacy epoch (candidates). */
  readonly epoch: number;
  /** Vouches received: at admission (members; 0 for the founder) or so far (candidates). */
  readonly vouches: number;
}

/** An open proposal to change the quorum policy, with the votes it has. */
export interface PolicyProposal {
  readonly policy: QuorumPolicy;
  readonly votes: number;
}

/** The public view of a collective: everything in its record except mailboxes. */
export interface CollectiveView {
  readonly name: string;
  readonly founderKey: Uint8Array;
  readonly groupKey: Uint8Array;
  readonly policy: QuorumPolicy;
  readonly policyEpoch: number;
  /** quorum(n) for the current size. */
  readonly quorum: number;
  readonly createdMs: number;
  readonly members: readonly PublicEntry[];
  readonly candidates: readonly PublicEntry[];
  readonly proposals: readonly PolicyProposal[];
}

function writePublic(w: Writer, e: PublicEntry): void {
  checkKey(e.identityKey, 'identity key');
  checkInt(e.epoch, U32, 'epoch');
  checkInt(e.vouches, U16, 'vouches');
  w.bytesU8(e.identityKey).u32(e.epoch).u16(e.vouches);
}

function readPublic(r: Reader): PublicEntry {
  return {
    identityKey: readKey(r, 'identity key'),
    epoch: r.u32('epoch'),
    vouches: r.u16('vouches'),
  };
}

function writeProposals(w: Writer, ps: readonly PolicyProposal[]): void {
  if (ps.length > MAX_PROPOSALS) throw new RangeError('too many proposals');
  w.u8(ps.length);
  for (const p of ps) {
    writePolicy(w, p.policy);
    checkInt(p.votes, U16, 'votes');
    w.u16(p.votes);
  }
}

function readProposals(r: Reader): PolicyProposal[] {
  const n = r.u8('proposal count');
  if (n > MAX_PROPOSALS) throw new WireError('ERR_WIRE_LENGTH', 'proposal count');
  const out: PolicyProposal[] = [];
  for (let i = 0; i < n; i++) out.push({ policy: readPolicy(r), votes: r.u16('votes') });
  return out;
}

function readCount(r: Reader, max: number, what: string): number {
  const n = r.u16(what);
  if (n > max) throw new WireError('ERR_WIRE_LENGTH', what);
  return n;
}

/*
 * CollectiveView (type 0x37):
 * +--------+------+------------------------------+----------------------------+--------+------------------+
 * | header | name | founder key (u8 len=45 + key) | group key (u8 len=45 + key) | policy | policy epoch u32 |
 * +--------+------+------------------------------+----------------------------+--------+------------------+
 * | quorum u16 | created u64 | members u16 (0-4096) x entry | candidates u16 (0-256) x entry |
 * +------------+-------------+------------------------------+--------------------------------+
 * | proposals u8 (0-8) x (policy | votes u16)                                             |
 * +-----------------------------------------------------------------------------------------+
 * entry = identity key (u8 len=45 + key) | epoch u32 | vouches u16
 */
export function encodeCollectiveView(m: CollectiveView): Uint8Array {
  checkKey(m.founderKey, 'founder key');
  checkKey(m.groupKey, 'group key');
  checkInt(m.policyEpoch, U32, 'policy epoch');
  checkInt(m.quorum, U16, 'quorum');
  if (m.members.length > MAX_COLLECTIVE_MEMBERS) throw new RangeError('too many members');
  if (m.candidates.length > MAX_CANDIDATES) throw new RangeError('too many candidates');
  const w = new Writer(256 + 52 * (m.members.length + m.candidates.length));
  writeHeader(w, MessageType.CollectiveView);
  writeName(w, m.name);
  w.bytesU8(m.founderKey).bytesU8(m.groupKey);
  writePolicy(w, m.policy);
  w.u32(m.policyEpoch).u16(m.quorum).u64(m.createdMs);
  w.u16(m.members.length);
  for (const e of m.members) writePublic(w, e);
  w.u16(m.candidates.length);
  for (const e of m.candidates) writePublic(w, e);
  writeProposals(w, m.proposals);
  return w.finish();
}

export function decodeCollectiveView(bytes: Uint8Array): Result<CollectiveView> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveView);
    const name = readName(r);
    const founderKey = readKey(r, 'founder key');
    const groupKey = readKey(r, 'group key');
    const policy = readPolicy(r);
    const policyEpoch = r.u32('policy epoch');
    const quorum = r.u16('quorum');
    const createdMs = r.u64('created');
    const members: PublicEntry[] = [];
    for (let i = readCount(r, MAX_COLLECTIVE_MEMBERS, 'members'); i > 0; i--)
      members.push(readPublic(r));
    const candidates: PublicEntry[] = [];
    for (let i = readCount(r, MAX_CANDIDATES, 'candidates'); i > 0; i--)
      candidates.push(readPublic(r));
    const proposals = readProposals(r);
    return {
      name,
      founderKey,
      groupKey,
      policy,
      policyEpoch,
      quorum,
      createdMs,
      members,
      candidates,
      proposals,
    };
  });
}

/** Asks how many vouches a komrade has received, over every collective. */
export interface VouchCountQuery {
  readonly identityKey: Uint8Array;
}

/*
 * VouchCountQuery (type 0x39):
 * +--------+--------------------------------+
 * | header | identity key (u8 len=45 + key) |
 * +--------+--------------------------------+
 */
export function encodeVouchCountQuery(m: VouchCountQuery): Uint8Array {
  checkKey(m.identityKey, 'identity key');
  const w = new Writer(56);
  writeHeader(w, MessageType.VouchCountQuery);
  w.bytesU8(m.identityKey);
  return w.finish();
}

export function decodeVouchCountQuery(bytes: Uint8Array): Result<VouchCountQuery> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.VouchCountQuery);
    return { identityKey: readKey(r, 'identity key') };
  });
}

/*
 * VouchCount (type 0x3a): the answer.
 * +--------+-----------+
 * | header | count u32 |
 * +--------+-----------+
 */
export function encodeVouchCount(count: number): Uint8Array {
  checkInt(count, U32, 'count');
  const w = new Writer(8);
  writeHeader(w, MessageType.VouchCount);
  w.u32(count);
  return w.finish();
}

export function decodeVouchCount(bytes: Uint8Array): Result<number> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.VouchCount);
    return r.u32('count');
  });
}

// ---------------------------------------------------------------------------------------
// Fan-out (sorter <-> vouch)

/*
 * FanoutQuery (type 0x3b), sorter -> vouch: which mailboxes does a fan-out address reach?
 * +--------+----------------------------+
 * | header | fan-out mailbox id (16)    |
 * +--------+----------------------------+
 */
export function encodeFanoutQuery(fanoutId: Uint8Array): Uint8Array {
  checkId(fanoutId, 'fan-out id');
  const w = new Writer(20);
  writeHeader(w, MessageType.FanoutQuery);
  w.bytes(fanoutId);
  return w.finish();
}

export function decodeFanoutQuery(bytes: Uint8Array): Result<Uint8Array> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.FanoutQuery);
    return r.bytesFixed(MAILBOX_ID_SIZE, 'fan-out id');
  });
}

/** A member's collective mailbox as the fan-out needs it: where, and the key it was made with. */
export interface FanoutTarget {
  /** The mailbox's relay: this relay, or a peer that delivers the post (SPEC.md 20.9). */
  readonly mailboxRelay: string;
  readonly mailboxId: Uint8Array;
  /**
   * The mailbox's public key as the member announced it; the sorter writes only into a
   * mailbox registered with this very key, so nobody can point a collective's posts at a
   * mailbox that is not theirs (an introduction mailbox id is public).
   */
  readonly mailboxKey: Uint8Array;
}

/*
 * FanoutMembers (type 0x3c), vouch -> sorter: the members' collective mailboxes.
 * +--------+--------------------+----------------------------------------------------------------------------+
 * | header | count u16 (0-4096) | count x (mailbox address (relay + id) | mailbox key (u8 len=45 + key))  |
 * +--------+--------------------+----------------------------------------------------------------------------+
 */
export function encodeFanoutMembers(targets: readonly FanoutTarget[]): Uint8Array {
  if (targets.length > MAX_COLLECTIVE_MEMBERS) throw new RangeError('too many members');
  const w = new Writer(6 + 80 * targets.length);
  writeHeader(w, MessageType.FanoutMembers);
  w.u16(targets.length);
  for (const t of targets) {
    checkKey(t.mailboxKey, 'mailbox key');
    writeAddress(w, { relay: t.mailboxRelay, id: t.mailboxId });
    w.bytesU8(t.mailboxKey);
  }
  return w.finish();
}

export function decodeFanoutMembers(bytes: Uint8Array): Result<FanoutTarget[]> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.FanoutMembers);
    const out: FanoutTarget[] = [];
    for (let i = readCount(r, MAX_COLLECTIVE_MEMBERS, 'count'); i > 0; i--) {
      const mailbox = readAddress(r);
      out.push({
        mailboxRelay: mailbox.relay,
        mailboxId: mailbox.id,
        mailboxKey: readKey(r, 'mailbox key'),
      });
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------
// The stored record

/** A member or candidate as the vouch service stores it. */
export interface RecordEntry extends PublicEntry {
  /**
   * Their collective mailbox (fan-out target): on this relay, or on their home relay when
   * they are a komrade of a peer relay (SPEC.md 20.9); and its public key.
   */
  readonly mailboxRelay: string;
  readonly mailboxId: Uint8Array;
  readonly mailboxKey: Uint8Array;
}

/** A collective as stored in the KOMRADE_COLLECTIVES bucket. Never sent to clients. */
export interface CollectiveRecord {
  readonly name: string;
  readonly founderKey: Uint8Array;
  readonly groupKey: Uint8Array;
  readonly fanoutId: Uint8Array;
  readonly policy: QuorumPolicy;
  readonly policyEpoch: number;
  /** The epoch the next candidacy or admission gets (epochs only grow). */
  readonly nextEpoch: number;
  readonly createdMs: number;
  readonly members: readonly RecordEntry[];
  readonly candidates: readonly RecordEntry[];
  readonly proposals: readonly PolicyProposal[];
}

function writeEntry(w: Writer, e: RecordEntry): void {
  checkKey(e.identityKey, 'identity key');
  checkKey(e.mailboxKey, 'mailbox key');
  checkInt(e.epoch, U32, 'epoch');
  checkInt(e.vouches, U16, 'vouches');
  w.bytesU8(e.identityKey);
  writeAddress(w, { relay: e.mailboxRelay, id: e.mailboxId });
  w.bytesU8(e.mailboxKey).u32(e.epoch).u16(e.vouches);
}

function readEntry(r: Reader): RecordEntry {
  const identityKey = readKey(r, 'identity key');
  const mailbox = readAddress(r);
  return {
    identityKey,
    mailboxRelay: mailbox.relay,
    mailboxId: mailbox.id,
    mailboxKey: readKey(r, 'mailbox key'),
    epoch: r.u32('epoch'),
    vouches: r.u16('vouches'),
  };
}

/*
 * CollectiveRecord (type 0x3d), the KV value of `c.<name>`:
 * +--------+------+-------------+-----------+-------------------+--------+------------------+
 * | header | name | founder key | group key | fan-out id (16)   | policy | policy epoch u32 |
 * +--------+------+-------------+-----------+-------------------+--------+------------------+
 * | next epoch u32 | created u64 | members u16 (0-4096) x entry | candidates u16 (0-256) x entry |
 * +----------------+-------------+------------------------------+--------------------------------+
 * | proposals u8 (0-8) x (policy | votes u16)                                                 |
 * +---------------------------------------------------------------------------------------------+
 * keys are u8 len=45 + key; entry = identity key | mailbox address (relay + id) | mailbox key |
 * epoch u32 | vouches u16. No vouch token and nothing about who vouched is part of the record.
 */
export function encodeCollectiveRecord(m: CollectiveRecord): Uint8Array {
  checkKey(m.founderKey, 'founder key');
  checkKey(m.groupKey, 'group key');
  checkId(m.fanoutId, 'fan-out id');
  checkInt(m.policyEpoch, U32, 'policy epoch');
  checkInt(m.nextEpoch, U32, 'next epoch');
  if (m.members.length > MAX_COLLECTIVE_MEMBERS) throw new RangeError('too many members');
  if (m.candidates.length > MAX_CANDIDATES) throw new RangeError('too many candidates');
  const w = new Writer(256 + 120 * (m.members.length + m.candidates.length));
  writeHeader(w, MessageType.CollectiveRecord);
  writeName(w, m.name);
  w.bytesU8(m.founderKey).bytesU8(m.groupKey).bytes(m.fanoutId);
  writePolicy(w, m.policy);
  w.u32(m.policyEpoch).u32(m.nextEpoch).u64(m.createdMs);
  w.u16(m.members.length);
  for (const e of m.members) writeEntry(w, e);
  w.u16(m.candidates.length);
  for (const e of m.candidates) writeEntry(w, e);
  writeProposals(w, m.proposals);
  return w.finish();
}

export function decodeCollectiveRecord(bytes: Uint8Array): Result<CollectiveRecord> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveRecord);
    const name = readName(r);
    const founderKey = readKey(r, 'founder key');
    const groupKey = readKey(r, 'group key');
    const fanoutId = r.bytesFixed(MAILBOX_ID_SIZE, 'fan-out id');
    const policy = readPolicy(r);
    const policyEpoch = r.u32('policy epoch');
    const nextEpoch = r.u32('next epoch');
    const createdMs = r.u64('created');
    const members: RecordEntry[] = [];
    for (let i = readCount(r, MAX_COLLECTIVE_MEMBERS, 'members'); i > 0; i--)
      members.push(readEntry(r));
    const candidates: RecordEntry[] = [];
    for (let i = readCount(r, MAX_CANDIDATES, 'candidates'); i > 0; i--)
      candidates.push(readEntry(r));
    const proposals = readProposals(r);
    return {
      name,
      founderKey,
      groupKey,
      fanoutId,
      policy,
      policyEpoch,
      nextEpoch,
      createdMs,
      members,
      candidates,
      proposals,
    };
  });
}

// ---------------------------------------------------------------------------------------
// Group key hand-over

/** Content of a ContentKind.CollectiveKey mail: the group key pair, for a new member. */
export interface CollectiveKeyGrant {
  readonly collective: string;
  readonly groupPublicKey: Uint8Array;
  readonly groupPrivateKey: Uint8Array;
  /** Where posts to the collective are sent (members only learn it). */
  readonly fanout: MailboxAddress;
}

/*
 * CollectiveKeyGrant (type 0x3e), sealed to the new member's collective mailbox with the
 * group key pair itself as the sender (so it does not reveal which member sent it):
 * +--------+-----------------+-----------------------------------+------------------------------------+-----------------+
 * | header | collective name | group public key (u8 len=45 + key) | group private key (u8 len=45 + key) | fan-out address |
 * +--------+-----------------+-----------------------------------+------------------------------------+-----------------+
 */
export function encodeCollectiveKeyGrant(m: CollectiveKeyGrant): Uint8Array {
  checkKey(m.groupPublicKey, 'group public key');
  checkKey(m.groupPrivateKey, 'group private key');
  const w = new Writer(200);
  writeHeader(w, MessageType.CollectiveKeyGrant);
  writeName(w, m.collective);
  w.bytesU8(m.groupPublicKey).bytesU8(m.groupPrivateKey);
  writeAddress(w, m.fanout);
  return w.finish();
}

export function decodeCollectiveKeyGrant(bytes: Uint8Array): Result<CollectiveKeyGrant> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.CollectiveKeyGrant);
    const collective = readName(r);
    const groupPublicKey = readKey(r, 'group public key');
    const groupPrivateKey = readKey(r, 'group private key');
    const fanout = readAddress(r);
    return { collective, groupPublicKey, groupPrivateKey, fanout };
  });
}
