import {
  generateKeyPair,
  isCanonicalName,
  isRelayName,
  MAILBOX_ID_SIZE,
  PUBLIC_KEY_SIZE,
  VERIFY_RUN_ID_SIZE,
  VERIFY_STEPS,
  type KeyPair,
} from '@komrade/protocol';
import { isHandle } from './handle.js';
import { newMailbox, type MailboxTarget, type OwnedMailbox } from './mailbox.js';
import type { MailboxAddress } from '@komrade/protocol';

/** A contact: someone met through the directory, with a private mailbox each way. */
export interface Contact {
  readonly name: string;
  /** Their identity key, from the directory when we met; only it may write to `mine`. */
  readonly identityKey: Uint8Array;
  /** The mailbox made for this contact only: they write here, we fetch it. */
  readonly mine: OwnedMailbox;
  /** Their mailbox for us; known once they accepted (or once we accepted theirs). */
  theirs: MailboxTarget | undefined;
  /** `requested`: we asked and wait for their accept; `established`: both ways work. */
  state: 'requested' | 'established';
  /** Set by a successful interactive safety-number check. */
  verified: boolean;
  readonly sinceMs: number;
}

/** A contact request that arrived at our introduction mailbox and awaits `accept`. */
export interface PendingRequest {
  readonly name: string;
  /** Proven by the sealed mail and matched against the directory when it arrived. */
  readonly identityKey: Uint8Array;
  readonly theirs: MailboxTarget;
  readonly note: string;
  readonly receivedAtMs: number;
}

/** A text message received and not yet shown by `inbox`. */
export interface InboxMessage {
  readonly from: string;
  readonly text: string;
  /** Sender's clock. */
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
  /** Message id, hex. */
  readonly id: string;
}

/** A safety-check step that arrived while no check was running, kept for a while. */
export interface QueuedVerifyStep {
  readonly from: string;
  readonly runId: Uint8Array;
  readonly step: number;
  readonly payload: Uint8Array;
  readonly sentAtMs: number;
}

/** A collective this account founded, joined, or asked to join (SPEC.md section 20). */
export interface CollectiveMembership {
  readonly name: string;
  /**
   * The relay the collective lives on: the home relay, or a peer (SPEC.md section 20.9).
   * The collective mailbox is always on the home relay.
   */
  readonly relay: string;
  /** This account's collective mailbox: the fan-out writes posts (and the key grant) here. */
  readonly mailbox: OwnedMailbox;
  /** `candidate` until the public view lists this account as a member. */
  state: 'candidate' | 'member';
  /** The group key pair, once held (the founder makes it; a new member receives it). */
  groupKey: KeyPair | undefined;
  /** The collective's fan-out address (only members learn it). */
  fanout: MailboxAddress | undefined;
  readonly founder: boolean;
  /** Members this account admitted who still need the group key (sent on every sync until done). */
  owedGrants: MailboxTarget[];
  readonly sinceMs: number;
}

/** A post received from a contact or a collective, kept (in the keystore) until it expires. */
export interface StoredPost {
  /** `friends`, or the collective as `@name`. */
  readonly source: string;
  /** The author's name, checked: the contact, or the directory's owner of the signing key. */
  readonly author: string;
  readonly text: string;
  /** ImageType: 0 none. */
  readonly imageType: number;
  readonly image: Uint8Array;
  /** Author's clock. */
  readonly sentAtMs: number;
  readonly expiresAtMs: number;
  /** Message id, hex. */
  readonly id: string;
}

/** Everything a komrade's device holds: the whole account, as stored in the keystore. */
export interface AccountState {
  readonly version: 1;
  /** Home relay name (from the operator's /v1/info at creation). */
  readonly relay: string;
  readonly identity: KeyPair;
  /** The registered name, once the directory confirmed it. */
  name: string | undefined;
  readonly intro: OwnedMailbox;
  contacts: Contact[];
  requests: PendingRequest[];
  inbox: InboxMessage[];
  verifySteps: QueuedVerifyStep[];
  /** ReplayGuard state: message ids (hex) seen, with their timestamps. */
  replay: [string, number][];
  /** Collectives (issue 5). Absent in keystores written before them. */
  collectives: CollectiveMembership[];
  /** Friends and collective posts received and not yet expired. */
  posts: StoredPost[];
  readonly createdAtMs: number;
}

/** A fresh account: a new identity key pair and introduction mailbox on `relay`. */
export function newAccount(relay: string, nowMs: number): AccountState {
  return {
    version: 1,
    relay,
    identity: generateKeyPair(),
    name: undefined,
    intro: newMailbox(relay),
    contacts: [],
    requests: [],
    inbox: [],
    verifySteps: [],
    replay: [],
    collectives: [],
    posts: [],
    createdAtMs: nowMs,
  };
}

// ---------------------------------------------------------------------------------------
// JSON form. Bytes are base64; every field is checked on the way in.

function b64(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

class Corrupt extends Error {}

function unb64(v: unknown, len?: number): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new Corrupt('base64');
  let s: string;
  try {
    s = atob(v);
  } catch {
    throw new Corrupt('base64');
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  if (len !== undefined && out.length !== len) throw new Corrupt('length');
  return out;
}

function rec(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Corrupt('object');
  return v as Record<string, unknown>;
}

function arr(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Corrupt('array');
  return v;
}

function str(v: unknown, check?: (s: string) => boolean): string {
  if (typeof v !== 'string' || (check && !check(v))) throw new Corrupt('string');
  return v;
}

function int(v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new Corrupt('int');
  return v;
}

/** Themis private keys are 45 bytes too, like public ones. */
function keyPairOut(k: KeyPair): unknown {
  return { publicKey: b64(k.publicKey), privateKey: b64(k.privateKey) };
}

function keyPairIn(v: unknown): KeyPair {
  const o = rec(v);
  return { publicKey: unb64(o['publicKey'], PUBLIC_KEY_SIZE), privateKey: unb64(o['privateKey']) };
}

function addressOut(a: { relay: string; id: Uint8Array }): unknown {
  return { relay: a.relay, id: b64(a.id) };
}

function addressIn(v: unknown): { relay: string; id: Uint8Array } {
  const o = rec(v);
  return { relay: str(o['relay'], isRelayName), id: unb64(o['id'], MAILBOX_ID_SIZE) };
}

function ownedOut(m: OwnedMailbox): unknown {
  return { address: addressOut(m.address), keys: keyPairOut(m.keys) };
}

function ownedIn(v: unknown): OwnedMailbox {
  const o = rec(v);
  return { address: addressIn(o['address']), keys: keyPairIn(o['keys']) };
}

function targetOut(t: MailboxTarget): unknown {
  return { address: addressOut(t.address), publicKey: b64(t.publicKey) };
}

function targetIn(v: unknown): MailboxTarget {
  const o = rec(v);
  return { address: addressIn(o['address']), publicKey: unb64(o['publicKey'], PUBLIC_KEY_SIZE) };
}

/** The account as JSON bytes (inside the encrypted keystore only). */
export function serializeAccount(a: AccountState): Uint8Array {
  const json = {
    version: a.version,
    relay: a.relay,
    identity: keyPairOut(a.identity),
    name: a.name ?? null,
    intro: ownedOut(a.intro),
    contacts: a.contacts.map((c) => ({
      name: c.name,
      identityKey: b64(c.identityKey),
      mine: ownedOut(c.mine),
      theirs: c.theirs ? targetOut(c.theirs) : null,
      state: c.state,
      verified: c.verified,
      sinceMs: c.sinceMs,
    })),
    requests: a.requests.map((r) => ({
      name: r.name,
      identityKey: b64(r.identityKey),
      theirs: targetOut(r.theirs),
      note: r.note,
      receivedAtMs: r.receivedAtMs,
    })),
    inbox: a.inbox,
    verifySteps: a.verifySteps.map((s) => ({
      from: s.from,
      runId: b64(s.runId),
      step: s.step,
      payload: b64(s.payload),
      sentAtMs: s.sentAtMs,
    })),
    replay: a.replay,
    createdAtMs: a.createdAtMs,
    collectives: a.collectives.map((c) => ({
      name: c.name,
      relay: c.relay,
      mailbox: ownedOut(c.mailbox),
      state: c.state,
      groupKey: c.groupKey ? keyPairOut(c.groupKey) : null,
      fanout: c.fanout ? addressOut(c.fanout) : null,
      founder: c.founder,
      owedGrants: c.owedGrants.map(targetOut),
      sinceMs: c.sinceMs,
    })),
    posts: a.posts.map((p) => ({ ...p, image: b64(p.image) })),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/** Parses and checks every field; undefined when anything is off (a damaged keystore). */
export function deserializeAccount(bytes: Uint8Array): AccountState | undefined {
  try {
    const o = rec(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    if (o['version'] !== 1) return undefined;
    const name = o['name'];
    return {
      version: 1,
      relay: str(o['relay'], isRelayName),
      identity: keyPairIn(o['identity']),
      name: name === null ? undefined : str(name, isCanonicalName),
      intro: ownedIn(o['intro']),
      contacts: arr(o['contacts']).map((v) => {
        const c = rec(v);
        const state = str(c['state']);
        if (state !== 'requested' && state !== 'established') throw new Corrupt('state');
        if (typeof c['verified'] !== 'boolean') throw new Corrupt('verified');
        return {
          name: str(c['name'], isHandle),
          identityKey: unb64(c['identityKey'], PUBLIC_KEY_SIZE),
          mine: ownedIn(c['mine']),
          theirs: c['theirs'] === null ? undefined : targetIn(c['theirs']),
          state,
          verified: c['verified'],
          sinceMs: int(c['sinceMs']),
        };
      }),
      requests: arr(o['requests']).map((v) => {
        const r = rec(v);
        return {
          name: str(r['name'], isHandle),
          identityKey: unb64(r['identityKey'], PUBLIC_KEY_SIZE),
          theirs: targetIn(r['theirs']),
          note: str(r['note']),
          receivedAtMs: int(r['receivedAtMs']),
        };
      }),
      inbox: arr(o['inbox']).map((v) => {
        const m = rec(v);
        return {
          from: str(m['from'], isHandle),
          text: str(m['text']),
          sentAtMs: int(m['sentAtMs']),
          receivedAtMs: int(m['receivedAtMs']),
          id: str(m['id'], (s) => /^[0-9a-f]{32}$/.test(s)),
        };
      }),
      verifySteps: arr(o['verifySteps']).map((v) => {
        const s = rec(v);
        return {
          from: str(s['from'], isHandle),
          runId: unb64(s['runId'], VERIFY_RUN_ID_SIZE),
          step: int(s['step'], 1, VERIFY_STEPS),
          payload: unb64(s['payload']),
          sentAtMs: int(s['sentAtMs']),
        };
      }),
      replay: arr(o['replay']).map((v): [string, number] => {
        const p = arr(v);
        if (p.length !== 2) throw new Corrupt('replay');
        return [str(p[0], (s) => /^[0-9a-f]{32}$/.test(s)), int(p[1])];
      }),
      createdAtMs: int(o['createdAtMs']),
      collectives:
        o['collectives'] === undefined
          ? []
          : arr(o['collectives']).map((c) => collectiveIn(c, str(o['relay'], isRelayName))),
      posts: o['posts'] === undefined ? [] : arr(o['posts']).map(postIn),
    };
  } catch (e) {
    if (e instanceof Corrupt || e instanceof SyntaxError || e instanceof TypeError)
      return undefined;
    throw e;
  }
}

/** `home`: the account's relay, where collectives saved before federation live. */
function collectiveIn(v: unknown, home: string): CollectiveMembership {
  const c = rec(v);
  const state = str(c['state']);
  if (state !== 'candidate' && state !== 'member') throw new Corrupt('state');
  if (typeof c['founder'] !== 'boolean') throw new Corrupt('founder');
  return {
    name: str(c['name'], isCanonicalName),
    relay: c['relay'] === undefined ? home : str(c['relay'], isRelayName),
    mailbox: ownedIn(c['mailbox']),
    state,
    groupKey: c['groupKey'] === null ? undefined : keyPairIn(c['groupKey']),
    fanout: c['fanout'] === null ? undefined : addressIn(c['fanout']),
    founder: c['founder'],
    owedGrants: arr(c['owedGrants']).map(targetIn),
    sinceMs: int(c['sinceMs']),
  };
}

function postIn(v: unknown): StoredPost {
  const p = rec(v);
  return {
    source: str(p['source'], (s) => s === 'friends' || (s.startsWith('@') && isHandle(s.slice(1)))),
    author: str(p['author'], isHandle),
    text: str(p['text']),
    imageType: int(p['imageType'], 0, 255),
    image: unb64(p['image']),
    sentAtMs: int(p['sentAtMs']),
    expiresAtMs: int(p['expiresAtMs']),
    id: str(p['id'], (s) => /^[0-9a-f]{32}$/.test(s)),
  };
}
