import {
  bytesEqual,
  checkRegistrable,
  CollectiveOutcome,
  ContentKind,
  decodeCollectiveKeyGrant,
  decodeCollectiveResult,
  decodeCollectiveView,
  decodePost,
  decodeVouchCount,
  encodeCollectiveKeyGrant,
  encodeCollectiveRequest,
  encodeCollectiveShow,
  encodeRemoteCollective,
  encodeVouchCountQuery,
  generateKeyPair,
  KomradeError,
  MessageType,
  REGISTRATION_EXTRA_BITS,
  secureMessageSign,
  secureMessageVerify,
  signCollectiveAction,
  collectiveRequestIdOf,
  type CollectiveAction,
  type CollectiveResult,
  type CollectiveView,
  type DecodedEnvelope,
  type ErrorCode,
  type KeyPair,
  type QuorumPolicy,
} from '@komrade/protocol';
import type { AccountState, CollectiveMembership } from './account.js';
import type { KomradeClient } from './komrade-client.js';
import { parseHandle, type Handle } from './handle.js';
import { newMailbox, type OwnedMailbox } from './mailbox.js';
import { keepPost, nameChecker, postContent, type PostInput } from './posts.js';
import { randomBytes } from './random.js';

export interface CollectivesOptions {
  readonly client: KomradeClient;
  readonly account: AccountState;
  /** Makes the account durable (the keystore save); see KomradeOptions.persist. */
  readonly persist: () => Promise<void>;
  readonly now?: () => number;
}

/** What one sync of collective mailboxes did. */
export interface CollectiveSyncReport {
  /** Posts kept. */
  posts: number;
  /** Collectives whose group key arrived in this sync. */
  keys: string[];
  /** Mail fetched, refused and deleted, by reason. */
  rejected: ErrorCode[];
  /** Grants sent to members this account admitted. */
  grantsSent: number;
}

type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A signed action without the fields every request fills in itself. */
type Action = DistOmit<CollectiveAction, 'relay' | 'collective' | 'timestampMs' | 'nonce'>;

const sameKey =
  (k: Uint8Array) =>
  (e: { identityKey: Uint8Array }): boolean =>
    bytesEqual(e.identityKey, k);

/** True when `privateKey` signs for `publicKey` (a key grant must hold the matching pair). */
function pairs(publicKey: Uint8Array, privateKey: Uint8Array): boolean {
  const probe = randomBytes(16);
  const signed = secureMessageSign(privateKey, probe);
  if (!signed.ok) return false;
  const back = secureMessageVerify(publicKey, signed.value);
  return back.ok && bytesEqual(back.value, probe);
}

/**
 * A komrade's collectives (SPEC.md section 20): founding, candidacies, vouching (and the
 * group key hand-over an admitting vouch owes), leaving, policy votes, the public view,
 * and the collective mailboxes where posts and key grants arrive. State lives in
 * `account.collectives`; anything that cannot be undone is preceded by `persist`.
 */
export class Collectives {
  private readonly client: KomradeClient;
  private readonly account: AccountState;
  private readonly persist: () => Promise<void>;
  private readonly now: () => number;

  constructor(o: CollectivesOptions) {
    this.client = o.client;
    this.account = o.account;
    this.persist = o.persist;
    this.now = o.now ?? Date.now;
  }

  /**
   * Parses a collective as typed: `portland` (or `@portland`) on the home relay,
   * `portland@alpha` on the peer relay alpha (SPEC.md section 20.9).
   */
  collective(input: string): Handle {
    return parseHandle(input, this.account.relay);
  }

  /** This account's membership or candidacy in `name` (as typed), if any. */
  membership(name: string): CollectiveMembership | undefined {
    return this.find(this.collective(name));
  }

  private find(h: Handle): CollectiveMembership | undefined {
    return this.account.collectives.find((c) => c.name === h.name && c.relay === h.relay);
  }

  /** A collective request or query, wrapped for the collective's relay when it is a peer. */
  private wrap(h: Handle, body: Uint8Array): Uint8Array {
    return h.remote === undefined ? body : encodeRemoteCollective({ relay: h.remote, body });
  }

  private async request(h: Handle, action: Action): Promise<CollectiveResult> {
    const signed = signCollectiveAction(this.account.identity, {
      ...action,
      relay: h.relay,
      collective: h.name,
      timestampMs: this.now(),
      nonce: randomBytes(16),
    });
    if (!signed.ok) throw new KomradeError(signed.code);
    const s = signed.value;
    const extra = action.type === MessageType.CollectiveCreate ? REGISTRATION_EXTRA_BITS : 0;
    const body = await this.client.postWithPostage(
      '/v1/collectives',
      collectiveRequestIdOf(s),
      extra,
      (postage) => this.wrap(h, encodeCollectiveRequest({ ...s, postage })),
      h.remote !== undefined,
    );
    const r = decodeCollectiveResult(body);
    if (!r.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
    return r.value;
  }

  /** The public view: members and candidates with their vouch counts, the quorum now. */
  async show(name: string): Promise<CollectiveView> {
    const h = this.collective(name);
    const v = decodeCollectiveView(
      await this.client.query(
        '/v1/collectives/show',
        this.wrap(h, encodeCollectiveShow({ name: h.name })),
      ),
    );
    if (!v.ok || v.value.name !== h.name) throw new KomradeError('ERR_CLIENT_PROTOCOL');
    return v.value;
  }

  /**
   * How many vouches a komrade has received, over every collective of a relay (the home
   * relay, or the peer `relay`).
   */
  async vouchCount(identityKey: Uint8Array, relay?: string): Promise<number> {
    const query = encodeVouchCountQuery({ identityKey });
    const c = decodeVouchCount(
      await this.client.query(
        '/v1/vouches/count',
        relay === undefined || relay === this.account.relay
          ? query
          : encodeRemoteCollective({ relay, body: query }),
      ),
    );
    if (!c.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
    return c.value;
  }

  /** Registers a collective mailbox (mailboxes live in memory: again after a relay restart). */
  private async newCollectiveMailbox(): Promise<OwnedMailbox> {
    const mailbox = newMailbox(this.account.relay);
    await this.client.createMailbox(mailbox);
    return mailbox;
  }

  /**
   * Founds `name` with a quorum policy: makes the group key pair and a collective
   * mailbox here, saves them, then asks the relay. The founder is the first member.
   */
  async create(name: string, policy: QuorumPolicy): Promise<CollectiveResult> {
    const h = this.collective(name);
    // a collective lives on its founder's home relay
    if (h.remote !== undefined) throw new KomradeError('ERR_RELAY_UNKNOWN');
    const n = h.name;
    const allowed = checkRegistrable(n);
    if (!allowed.ok) throw new KomradeError(allowed.code);
    let m = this.find(h);
    if (m && !(m.founder && m.groupKey)) throw new KomradeError('ERR_COLLECTIVE_MEMBER');
    if (!m) {
      m = {
        name: n,
        relay: h.relay,
        mailbox: await this.newCollectiveMailbox(),
        state: 'member',
        groupKey: generateKeyPair(),
        fanout: undefined,
        founder: true,
        owedGrants: [],
        sinceMs: this.now(),
      };
      this.account.collectives.push(m);
      await this.persist();
    } else {
      await this.client.createMailbox(m.mailbox);
    }
    const group = m.groupKey as KeyPair;
    let r: CollectiveResult;
    try {
      r = await this.request(h, {
        type: MessageType.CollectiveCreate,
        groupKey: group.publicKey,
        mailboxId: m.mailbox.address.id,
        mailboxKey: m.mailbox.keys.publicKey,
        policy,
      });
    } catch (e) {
      await this.forgetUnless(m, e);
      throw e;
    }
    if (r.fanoutId) m.fanout = { relay: this.account.relay, id: r.fanoutId };
    await this.persist();
    return r;
  }

  /** A refused request (not a retryable failure) leaves no local trace of it. */
  private async forgetUnless(m: CollectiveMembership, e: unknown): Promise<void> {
    if (e instanceof KomradeError && e.retryable) return;
    this.account.collectives = this.account.collectives.filter((c) => c !== m);
    await this.persist();
  }

  /**
   * Announces this account's candidacy for `name`, with a collective mailbox made for it
   * (saved first). Members then vouch; at quorum(n) one of them hands over the group key.
   */
  async join(name: string): Promise<CollectiveResult> {
    const h = this.collective(name);
    let m = this.find(h);
    if (m?.state === 'member') throw new KomradeError('ERR_COLLECTIVE_MEMBER');
    if (!m) {
      m = {
        name: h.name,
        relay: h.relay,
        mailbox: await this.newCollectiveMailbox(),
        state: 'candidate',
        groupKey: undefined,
        fanout: undefined,
        founder: false,
        owedGrants: [],
        sinceMs: this.now(),
      };
      this.account.collectives.push(m);
      await this.persist();
    } else {
      await this.client.createMailbox(m.mailbox);
    }
    try {
      return await this.request(h, {
        type: MessageType.CollectiveJoin,
        mailboxRelay: m.mailbox.address.relay,
        mailboxId: m.mailbox.address.id,
        mailboxKey: m.mailbox.keys.publicKey,
      });
    } catch (e) {
      await this.forgetUnless(m, e);
      throw e;
    }
  }

  /**
   * Vouches for `candidate` (a komrade name) in `collective`. The relay refuses a second
   * vouch, a non-member's and a replay with typed errors. When this vouch admits the
   * candidate, the group key is owed to its mailbox: saved, then sealed and sent (with
   * the group key itself as the sealing sender, so the new member cannot tell who).
   */
  async vouch(collective: string, candidate: string): Promise<CollectiveResult> {
    const h = this.collective(collective);
    const who = parseHandle(candidate, this.account.relay);
    const entry = await this.client.lookupName(who.name, who.remote);
    const view = await this.show(h.handle);
    const me = view.members.find(sameKey(this.account.identity.publicKey));
    const cand = view.candidates.find(sameKey(entry.identityKey));
    const r = await this.request(h, {
      type: MessageType.CollectiveVouch,
      memberEpoch: me?.epoch ?? 0,
      candidateKey: entry.identityKey,
      candidacyEpoch: cand?.epoch ?? 0,
    });
    const m = this.find(h);
    if (r.outcome === CollectiveOutcome.Admitted && r.admitted && m) {
      m.owedGrants.push({
        address: { relay: r.admitted.mailboxRelay, id: r.admitted.mailboxId },
        publicKey: r.admitted.mailboxKey,
      });
      await this.persist();
      if (!m.groupKey) await this.sync([m]);
      await this.sendGrants(m);
    }
    return r;
  }

  /** Sends the group key to every member this account admitted that still needs it. */
  async sendGrants(m: CollectiveMembership): Promise<number> {
    const group = m.groupKey;
    const fanout = m.fanout;
    if (!group || !fanout || m.owedGrants.length === 0) return 0;
    const content = encodeCollectiveKeyGrant({
      collective: m.name,
      groupPublicKey: group.publicKey,
      groupPrivateKey: group.privateKey,
      fanout,
    });
    const owed = [...m.owedGrants];
    await this.client.send(
      group,
      owed.map((to) => ({ to, kind: ContentKind.CollectiveKey, content })),
    );
    m.owedGrants = m.owedGrants.filter((t) => !owed.includes(t));
    await this.persist();
    return owed.length;
  }

  /** Ends this account's membership (or candidacy) in `name` and forgets it here. */
  async leave(name: string): Promise<CollectiveResult> {
    const h = this.collective(name);
    const view = await this.show(h.handle);
    const mine = sameKey(this.account.identity.publicKey);
    const e = view.members.find(mine) ?? view.candidates.find(mine);
    const r = await this.request(h, { type: MessageType.CollectiveLeave, epoch: e?.epoch ?? 0 });
    const gone = this.find(h);
    this.account.collectives = this.account.collectives.filter((c) => c !== gone);
    await this.persist();
    return r;
  }

  /** Votes to replace the quorum policy of `name`; it changes once votes reach quorum(n). */
  async vote(name: string, policy: QuorumPolicy): Promise<CollectiveResult> {
    const h = this.collective(name);
    const view = await this.show(h.handle);
    const me = view.members.find(sameKey(this.account.identity.publicKey));
    return this.request(h, {
      type: MessageType.CollectivePolicyVote,
      memberEpoch: me?.epoch ?? 0,
      policyEpoch: view.policyEpoch,
      policy,
    });
  }

  /**
   * Fetches collective mailboxes (all, or the given ones): key grants first (accepted
   * only when sealed by the collective's own group key and holding the matching pair),
   * then posts, opened with the group key and accepted only from current members whose
   * claimed name the directory binds to their key. Posts that arrive before the group key
   * stay on the relay until it comes. Sends owed grants once the key is here.
   */
  async sync(
    memberships: readonly CollectiveMembership[] = this.account.collectives,
  ): Promise<CollectiveSyncReport> {
    const report: CollectiveSyncReport = { posts: 0, keys: [], rejected: [], grantsSent: 0 };
    const checkName = nameChecker(this.client);
    for (const m of memberships) {
      let view: CollectiveView;
      try {
        view = await this.show(this.handleOf(m));
      } catch (e) {
        if (e instanceof KomradeError && e.code === 'ERR_COLLECTIVE_NOT_FOUND') continue;
        throw e;
      }
      if (m.state === 'candidate' && view.members.some(sameKey(this.account.identity.publicKey)))
        m.state = 'member';
      await this.syncMailbox(m, view, checkName, report);
      report.grantsSent += await this.sendGrants(m);
    }
    return report;
  }

  private async syncMailbox(
    m: CollectiveMembership,
    view: CollectiveView,
    checkName: (name: string, key: Uint8Array) => Promise<boolean>,
    report: CollectiveSyncReport,
  ): Promise<void> {
    const mine = (e: DecodedEnvelope): boolean => bytesEqual(e.to.id, m.mailbox.address.id);
    for (;;) {
      const page = await this.fetchPage(m.mailbox);
      const done: Uint8Array[] = [];
      for (const env of page.envelopes.filter(mine)) {
        const code = this.takeGrant(m, view, env);
        if (code === undefined) report.keys.push(m.name);
        else report.rejected.push(code);
        done.push(env.id);
      }
      for (const env of page.envelopes.filter((e) => !mine(e))) {
        // without the group key a post cannot be read yet: leave it for later
        if (!m.groupKey) continue;
        const code = await this.takePost(m, view, env, checkName);
        if (code === undefined) report.posts++;
        else report.rejected.push(code);
        done.push(env.id);
      }
      if (done.length === 0) return;
      await this.persist();
      await this.client.ack(m.mailbox, done);
      if (page.remaining === 0) return;
    }
  }

  private takeGrant(
    m: CollectiveMembership,
    view: CollectiveView,
    env: DecodedEnvelope,
  ): ErrorCode | undefined {
    const opened = this.client.open(m.mailbox, env, (k) => bytesEqual(k, view.groupKey));
    if (!opened.ok) return opened.code;
    if (opened.value.body.kind !== ContentKind.CollectiveKey) return 'ERR_WIRE_TYPE';
    const g = decodeCollectiveKeyGrant(opened.value.body.content);
    if (!g.ok) return g.code;
    const grant = g.value;
    if (
      grant.collective !== m.name ||
      !bytesEqual(grant.groupPublicKey, view.groupKey) ||
      !pairs(grant.groupPublicKey, grant.groupPrivateKey) ||
      grant.fanout.relay !== m.relay
    )
      return 'ERR_CRYPTO_KEY_INVALID';
    m.groupKey = { publicKey: grant.groupPublicKey, privateKey: grant.groupPrivateKey };
    m.fanout = grant.fanout;
    m.state = 'member';
    return undefined;
  }

  private async takePost(
    m: CollectiveMembership,
    view: CollectiveView,
    env: DecodedEnvelope,
    checkName: (name: string, key: Uint8Array) => Promise<boolean>,
  ): Promise<ErrorCode | undefined> {
    const group = m.groupKey;
    if (!group || !m.fanout || !bytesEqual(env.to.id, m.fanout.id)) return 'ERR_SEAL_WRONG_MAILBOX';
    const isMember = (k: Uint8Array): boolean => view.members.some(sameKey(k));
    const opened = this.client.open({ address: m.fanout, keys: group }, env, isMember);
    if (!opened.ok) return opened.code;
    const mail = opened.value;
    if (mail.body.kind !== ContentKind.Post) return 'ERR_WIRE_TYPE';
    const post = decodePost(mail.body.content);
    if (!post.ok) return post.code;
    // a name without a relay is one of the collective's relay
    const claimed = post.value.author;
    if (claimed === undefined) return 'ERR_SEAL_WRONG_SENDER';
    const author = parseHandle(
      claimed.includes('@') ? claimed : `${claimed}@${m.relay}`,
      this.account.relay,
    );
    if (!(await checkName(author.handle, mail.senderKey))) return 'ERR_SEAL_WRONG_SENDER';
    return keepPost(
      this.account,
      `@${this.handleOf(m)}`,
      author.handle,
      mail,
      (env.expiryHour + 1) * 3_600_000,
    );
  }

  /** How a membership's collective is named here: `portland`, or `portland@alpha` on a peer. */
  handleOf(m: CollectiveMembership): string {
    return m.relay === this.account.relay ? m.name : `${m.name}@${m.relay}`;
  }

  /** Mailboxes live in memory on the relay: after a relay restart, register ours again. */
  private async fetchPage(mb: OwnedMailbox): ReturnType<KomradeClient['fetchPage']> {
    try {
      return await this.client.fetchPage(mb);
    } catch (e) {
      if (!(e instanceof KomradeError) || e.code !== 'ERR_MAILBOX_AUTH') throw e;
      await this.client.createMailbox(mb);
      return this.client.fetchPage(mb);
    }
  }

  /**
   * Posts to a collective this account is a member of: one envelope sealed to the group
   * key, sent to the fan-out address (the relay copies it to every member).
   * ERR_COLLECTIVE_NO_KEY until the group key has arrived.
   */
  async post(name: string, input: PostInput, ttlSec?: number): Promise<Uint8Array> {
    let m = this.membership(name);
    if (!m) throw new KomradeError('ERR_COLLECTIVE_NOT_MEMBER');
    if (!m.groupKey) await this.sync([m]);
    m = this.membership(name);
    if (!m?.groupKey || !m.fanout) throw new KomradeError('ERR_COLLECTIVE_NO_KEY');
    // members accept a post only with an author name the directory binds to its key;
    // on a peer's collective, the name says which relay it is registered on
    if (this.account.name === undefined) throw new KomradeError('ERR_KEYSTORE_UNNAMED');
    const author =
      m.relay === this.account.relay
        ? this.account.name
        : `${this.account.name}@${this.account.relay}`;
    return this.client.sendFanout(this.account.identity, {
      to: { address: m.fanout, publicKey: m.groupKey.publicKey },
      kind: ContentKind.Post,
      content: postContent(author, input),
      ...(ttlSec !== undefined ? { ttlSec } : {}),
    });
  }
}
