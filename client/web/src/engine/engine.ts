import {
  checkPassphrase,
  Feed,
  Komrade,
  KomradeClient,
  newAccount,
  openAccount,
  parseName,
  randomBytes,
  ReplayGuard,
  sealAccount,
  type AccountState,
  type Unlocked,
} from '@komrade/client';
import {
  checkRegistrable,
  CollectiveOutcome,
  formatPolicy,
  ImageType,
  KomradeError,
  parsePolicy,
  safetyFingerprint,
  toHex,
  type CollectiveView as PublicView,
  type QuorumPolicy,
} from '@komrade/protocol';
import type {
  Activity,
  CollectiveEntryView,
  CollectiveView,
  ContactView,
  DirectoryView,
  EngineMethods,
  FeedView,
  MyCollective,
  MethodName,
  SafetyView,
  Snapshot,
  Status,
  SyncView,
} from './api.js';
import { append, emptyHistory, openHistory, sealHistory, type History } from './history.js';
import { toEngineError } from './messages.js';
import * as storage from './storage.js';
import { sameOriginTransport } from './transport.js';

/** Replay guard window: mail lives at most 7 days, accept up to 8 (as the CLI). */
const REPLAY_WINDOW_MS = 8 * 86_400_000;
/** Postage progress reaches the page at most this often. */
const PROGRESS_EVERY_MS = 100;

/** The unlocked account at work. */
interface Session {
  readonly account: AccountState;
  readonly unlocked: Unlocked;
  readonly client: KomradeClient;
  readonly komrade: Komrade;
  /** Posts and collectives (issue 5's SDK), on the same account and client. */
  readonly feed: Feed;
  readonly history: History;
  lastSyncMs: number | undefined;
  syncError: string | undefined;
}

export interface EngineOptions {
  readonly onActivity: (a: Activity) => void;
  readonly onSnapshot: (s: Snapshot) => void;
  /** Holds the account for this tab only; false if another tab has it. */
  readonly takeAccountLock: () => Promise<boolean>;
}

type Handlers = {
  [M in MethodName]: (...args: EngineMethods[M]['args']) => Promise<EngineMethods[M]['result']>;
};

/**
 * The web client's engine: the same SDK as the CLI (`Komrade` over `KomradeClient`), the
 * same keystore container, kept in IndexedDB instead of a file. Every call runs alone
 * (one queue), as the CLI's keystore lock makes its commands run alone.
 */
export class Engine {
  private session: Session | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private readonly fingerprints = new Map<string, string>();
  /** Whose key is whose, as far as this device knows (lookups made here): hex -> name. */
  private readonly knownNames = new Map<string, string>();
  private lastProgress = 0;

  constructor(private readonly o: EngineOptions) {}

  /** True while a call runs or waits: background polls skip their turn then. */
  get busy(): boolean {
    return this.pending > 0;
  }

  get unlocked(): boolean {
    return this.session !== undefined;
  }

  /** Runs `fn` after every call before it has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.queue.then(fn).finally(() => {
      this.pending--;
      this.o.onActivity({ kind: 'idle' });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs one call from the page: resolves with its result or an EngineError. */
  call<M extends MethodName>(
    method: M,
    args: EngineMethods[M]['args'],
  ): Promise<EngineMethods[M]['result']> {
    const h = this.handlers[method] as (
      ...a: EngineMethods[M]['args']
    ) => Promise<EngineMethods[M]['result']>;
    return this.exclusive(() => h(...args));
  }

  /** A background fetch of every mailbox; skipped while the page is waiting on a call. */
  async poll(): Promise<void> {
    if (!this.session || this.busy) return;
    try {
      await this.exclusive(() => this.syncNow(false));
    } catch {
      // syncNow recorded the failure in the snapshot
    }
  }

  private activity(a: Activity): void {
    this.o.onActivity(a);
  }

  private need(): Session {
    if (!this.session) throw new KomradeError('ERR_KEYSTORE_MISSING');
    return this.session;
  }

  private newClient(account: AccountState | undefined): KomradeClient {
    return new KomradeClient({
      transport: sameOriginTransport(),
      onPostageProgress: (tried, expected) => {
        const now = Date.now();
        if (now - this.lastProgress < PROGRESS_EVERY_MS) return;
        this.lastProgress = now;
        this.activity({ kind: 'postage', tried, expected });
      },
      ...(account ? { replayGuard: ReplayGuard.import(REPLAY_WINDOW_MS, account.replay) } : {}),
    });
  }

  private async lockAccount(): Promise<void> {
    if (!(await this.o.takeAccountLock())) throw new KomradeError('ERR_KEYSTORE_LOCKED');
  }

  private begin(account: AccountState, unlocked: Unlocked, history: History): Snapshot {
    const client = this.newClient(account);
    const persist = (): Promise<void> => this.persist();
    const komrade = new Komrade({ client, account, persist });
    const session: Session = {
      account,
      unlocked,
      client,
      history,
      lastSyncMs: undefined,
      syncError: undefined,
      komrade,
      feed: new Feed({ komrade, persist }),
    };
    this.session = session;
    return this.snapshotOf(session);
  }

  /** Saves the account and the history in one IndexedDB transaction (no key derivation). */
  private async persist(): Promise<void> {
    const s = this.need();
    await storage.save({
      keystore: s.unlocked.reseal(s.account),
      history: sealHistory(s.history, s.account.identity.privateKey),
    });
  }

  /** Moves texts the SDK received into the conversations; true if there were any. */
  private absorbInbox(s: Session): boolean {
    const taken = s.komrade.takeInbox();
    for (const m of taken) {
      append(s.history, m.from, {
        id: m.id,
        direction: 'in',
        text: m.text,
        atMs: m.sentAtMs,
        status: 'deleted',
      });
      s.history.unread[m.from] = (s.history.unread[m.from] ?? 0) + 1;
    }
    return taken.length > 0;
  }

  private fingerprint(key: Uint8Array): string {
    const hex = toHex(key);
    let fp = this.fingerprints.get(hex);
    if (fp === undefined) {
      fp = safetyFingerprint(key).join(' ');
      this.fingerprints.set(hex, fp);
    }
    return fp;
  }

  private snapshotOf(s: Session): Snapshot {
    const contacts: ContactView[] = [...s.account.contacts]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => ({
        name: c.name,
        state: c.state,
        verified: c.verified,
        fingerprint: this.fingerprint(c.identityKey),
        sinceMs: c.sinceMs,
        unread: s.history.unread[c.name] ?? 0,
      }));
    return {
      name: s.account.name,
      relay: s.account.relay,
      fingerprint: this.fingerprint(s.account.identity.publicKey),
      contacts,
      requests: s.account.requests.map((r) => ({
        name: r.name,
        note: r.note,
        fingerprint: this.fingerprint(r.identityKey),
        receivedAtMs: r.receivedAtMs,
      })),
      conversations: s.history.conversations,
      collectives: s.account.collectives.map((c) => this.myCollective(s, c)),
      lastSyncMs: s.lastSyncMs,
      syncError: s.syncError,
    };
  }

  private publish(s: Session): Snapshot {
    const snap = this.snapshotOf(s);
    this.o.onSnapshot(snap);
    return snap;
  }

  private async syncNow(rethrow: boolean): Promise<SyncView> {
    const s = this.need();
    this.activity({ kind: 'network', what: 'Checking your mailboxes' });
    try {
      const r = await s.komrade.syncAll();
      // key grants for collectives we joined, grants we owe, collective posts
      if (s.account.collectives.length > 0) await s.feed.collectives.sync();
      const got = this.absorbInbox(s);
      if (got) await this.persist();
      s.lastSyncMs = Date.now();
      s.syncError = undefined;
      this.publish(s);
      return {
        messages: r.messages,
        requests: r.requests,
        accepted: r.accepted,
        rejected: r.rejected.length,
      };
    } catch (e) {
      s.syncError = toEngineError(e).message;
      this.publish(s);
      if (rethrow) throw e;
      return { messages: 0, requests: 0, accepted: [], rejected: 0 };
    }
  }

  /** `name` is `portland`, or `portland@alpha` for a collective on a peer relay. */
  private myCollective(s: Session, c: Session['account']['collectives'][number]): MyCollective {
    return {
      name: s.feed.collectives.handleOf(c),
      state: c.state,
      founder: c.founder,
      hasKey: c.groupKey !== undefined,
    };
  }

  /** Names this device can put on keys: its own, its contacts', requests', lookups'. */
  private nameOf(s: Session, key: Uint8Array): string | undefined {
    const hex = toHex(key);
    if (hex === toHex(s.account.identity.publicKey)) return s.account.name;
    const c = s.account.contacts.find((x) => toHex(x.identityKey) === hex);
    if (c) return c.name;
    const r = s.account.requests.find((x) => toHex(x.identityKey) === hex);
    return r?.name ?? this.knownNames.get(hex);
  }

  private collectiveViewOf(s: Session, v: PublicView, handle: string): CollectiveView {
    const me = toHex(s.account.identity.publicKey);
    const entry = (e: PublicView['members'][number]): CollectiveEntryView => {
      const name = this.nameOf(s, e.identityKey);
      return {
        label: name !== undefined ? `@${name}` : '',
        fingerprint: this.fingerprint(e.identityKey),
        vouches: e.vouches,
        epoch: e.epoch,
        me: toHex(e.identityKey) === me,
      };
    };
    const mine = s.account.collectives.find((c) => s.feed.collectives.handleOf(c) === handle);
    return {
      name: handle,
      quorum: v.quorum,
      policy: formatPolicy(v.policy),
      policyWords: policyWords(v.policy),
      createdMs: v.createdMs,
      members: v.members.map(entry),
      candidates: v.candidates.map(entry),
      mine: mine ? this.myCollective(s, mine) : undefined,
    };
  }

  private async showCollective(s: Session, name: string): Promise<CollectiveView> {
    this.activity({ kind: 'network', what: 'Reading the collective' });
    const handle = s.feed.collectives.collective(name).handle;
    return this.collectiveViewOf(s, await s.feed.collectives.show(name), handle);
  }

  private safetyOf(s: Session, name: string): SafetyView {
    const c = s.komrade.contact(name);
    const sn = s.komrade.safetyNumber(name);
    return {
      name: c.name,
      groups: sn.groups,
      mine: sn.mine,
      theirs: sn.theirs,
      verified: c.verified,
    };
  }

  private readonly handlers: Handlers = {
    status: async (): Promise<Status> => ({
      stored: (await storage.load('keystore')) !== undefined,
      unlocked: this.session !== undefined,
    }),

    /**
     * A new account, as `komrade register`: the keys are made here and never leave; the
     * keystore is written once the name is registered, or when the outcome is unknown
     * (the relay did not answer after the registration left) so a retry re-registers
     * with the same key.
     */
    create: async (rawName, passphrase) => {
      const name = parseName(rawName);
      const allowed = checkRegistrable(name);
      if (!allowed.ok) throw new KomradeError(allowed.code);
      checkPassphrase(passphrase);
      if ((await storage.load('keystore')) !== undefined)
        throw new KomradeError('ERR_KEYSTORE_EXISTS');
      await this.lockAccount();
      const client = this.newClient(undefined);
      this.activity({ kind: 'network', what: 'Contacting the relay' });
      const info = await client.relayInfo();
      const account = newAccount(info.relay, Date.now());
      const komrade = new Komrade({ client, account, persist: async () => undefined });
      const store = async (): Promise<Snapshot> => {
        this.activity({ kind: 'kdf', what: 'Encrypting your keys with your passphrase' });
        await tick();
        const sealed = sealAccount(account, passphrase, 'keystore');
        const history = emptyHistory();
        await storage.save({
          keystore: sealed.bytes,
          history: sealHistory(history, account.identity.privateKey),
        });
        return this.begin(account, sealed.unlocked, history);
      };
      let submitted = false;
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      try {
        await komrade.register(name, () => (submitted = true));
      } catch (e) {
        if (submitted && e instanceof KomradeError && e.retryable) await store();
        throw e;
      }
      return store();
    },

    unlock: async (passphrase) => {
      const bytes = await storage.load('keystore');
      if (bytes === undefined) throw new KomradeError('ERR_KEYSTORE_MISSING');
      await this.lockAccount();
      this.activity({ kind: 'kdf', what: 'Unlocking: deriving the key from your passphrase' });
      await tick();
      const unlocked = openAccount(bytes, passphrase);
      const history = openHistory(
        await storage.load('history'),
        unlocked.account.identity.privateKey,
      );
      return this.begin(unlocked.account, unlocked, history);
    },

    /** Registers a name for an account stored without one (an unknown outcome earlier). */
    register: async (rawName) => {
      const s = this.need();
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      await s.komrade.register(rawName);
      await this.persist();
      return this.publish(s);
    },

    /**
     * Restores an exported account (or a copied keystore file) into this browser: two
     * slow derivations, one to open the file and one to seal the stored keystore.
     */
    importAccount: async (file, passphrase, replace) => {
      if (!replace && (await storage.load('keystore')) !== undefined)
        throw new KomradeError('ERR_KEYSTORE_EXISTS');
      await this.lockAccount();
      this.activity({ kind: 'kdf', what: 'Opening the account file with your passphrase' });
      await tick();
      const { account } = openAccount(file, passphrase);
      this.activity({ kind: 'kdf', what: 'Encrypting your keys for this browser' });
      await tick();
      const sealed = sealAccount(account, passphrase, 'keystore');
      const history = emptyHistory();
      await storage.clear();
      await storage.save({
        keystore: sealed.bytes,
        history: sealHistory(history, account.identity.privateKey),
      });
      return this.begin(account, sealed.unlocked, history);
    },

    /**
     * The whole account sealed under the passphrase with a fresh master key (the CLI's
     * export format, so `komrade import` reads it). The passphrase is checked against
     * the stored keystore first: two slow derivations.
     */
    exportAccount: async (passphrase) => {
      const s = this.need();
      const stored = await storage.load('keystore');
      if (stored === undefined) throw new KomradeError('ERR_KEYSTORE_MISSING');
      this.activity({ kind: 'kdf', what: 'Checking your passphrase' });
      await tick();
      openAccount(stored, passphrase);
      this.activity({ kind: 'kdf', what: 'Encrypting the export with your passphrase' });
      await tick();
      return sealAccount(s.account, passphrase, 'export').bytes;
    },

    forget: async () => {
      await storage.clear();
      this.session = undefined;
      return { stored: false, unlocked: false };
    },

    snapshot: async () => this.snapshotOf(this.need()),

    sync: () => this.syncNow(true),

    whois: async (rawName) => {
      const s = this.need();
      this.activity({ kind: 'network', what: 'Looking up the directory' });
      const e = await s.komrade.whois(rawName);
      this.knownNames.set(toHex(e.identityKey), e.name);
      return {
        name: e.name,
        fingerprint: this.fingerprint(e.identityKey),
        relay: e.intro.relay,
        registeredAtMs: e.timestampMs,
      } satisfies DirectoryView;
    },

    meet: async (rawName, note) => {
      const s = this.need();
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      const r = await s.komrade.meet(rawName, note);
      this.absorbInbox(s);
      await this.persist();
      this.publish(s);
      return { acceptedTheirs: r.acceptedTheirs };
    },

    accept: async (rawName) => {
      const s = this.need();
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      await s.komrade.accept(rawName);
      this.absorbInbox(s);
      await this.persist();
      return this.publish(s);
    },

    /** Drops a pending request unanswered (the sender is not told). */
    decline: async (name) => {
      const s = this.need();
      s.account.requests = s.account.requests.filter((r) => r.name !== name);
      await this.persist();
      return this.publish(s);
    },

    send: async (rawName, text) => {
      const s = this.need();
      if (text.trim().length === 0) throw new KomradeError('ERR_CRYPTO_INPUT', 'empty');
      const name = s.komrade.contact(rawName).name;
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      await s.komrade.send(name, text);
      append(s.history, name, {
        id: `out-${toHex(randomBytes(8))}`,
        direction: 'out',
        text,
        atMs: Date.now(),
        status: 'sent',
      });
      this.absorbInbox(s);
      await this.persist();
      return this.publish(s);
    },

    markRead: async (name) => {
      const s = this.need();
      if ((s.history.unread[name] ?? 0) === 0) return this.snapshotOf(s);
      s.history.unread[name] = 0;
      await this.persist();
      return this.publish(s);
    },

    safety: async (rawName) => this.safetyOf(this.need(), rawName),

    /** The interactive Secure Comparator check; both komrades run it at about the same time. */
    verify: async (rawName, phrase) => {
      const s = this.need();
      const name = s.komrade.contact(rawName).name;
      this.activity({ kind: 'verify', with: name });
      const equal = await s.komrade.verifyInteractive(name, phrase, { timeoutMs: 120_000 });
      this.absorbInbox(s);
      await this.persist();
      this.publish(s);
      if (!equal) throw new KomradeError('ERR_VERIFY_MISMATCH');
      return this.safetyOf(s, name);
    },

    /** Contact and collective mailboxes fetched, world posts listed; newest first. */
    feed: async (world) => {
      const s = this.need();
      this.activity({ kind: 'network', what: 'Reading the feed' });
      const r = await s.feed.read({ world });
      if (this.absorbInbox(s)) await this.persist();
      this.publish(s);
      return {
        items: r.items.map((i) => ({
          id: i.id,
          source: i.source,
          author: i.author,
          text: i.text,
          image:
            i.image.length > 0
              ? { mime: IMAGE_MIME[i.imageType] ?? '', bytes: i.image }
              : undefined,
          sentAtMs: i.sentAtMs,
          expiresAtMs: i.expiresAtMs,
        })),
        worldRejected: r.worldRejected,
      } satisfies FeedView;
    },

    post: async (audience, text, image, ttlSec) => {
      const s = this.need();
      const input = image && image.length > 0 ? { text, image } : { text };
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      if (audience === 'world') {
        await s.feed.postWorld(input, ttlSec);
        return { reached: 'every komrade' };
      }
      if (audience === 'friends') {
        const n = await s.feed.postFriends(input, ttlSec);
        return { reached: `${String(n)} contact${n === 1 ? '' : 's'}` };
      }
      const name = audience.replace(/^@/, '');
      await s.feed.postCollective(name, input, ttlSec);
      this.publish(s);
      return { reached: `the members of @${name}` };
    },

    collective: async (name) => this.showCollective(this.need(), name),

    /** Founds a collective: the group key pair is made here; the founder is its first member. */
    found: async (name, policyText) => {
      const s = this.need();
      const policy: QuorumPolicy | undefined = parsePolicy(policyText.trim());
      if (!policy) throw new KomradeError('ERR_COLLECTIVE_POLICY');
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      await s.feed.collectives.create(name, policy);
      this.publish(s);
      return this.showCollective(s, name);
    },

    join: async (name) => {
      const s = this.need();
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      await s.feed.collectives.join(name);
      this.publish(s);
      return this.showCollective(s, name);
    },

    /** Vouches for a candidate; an admitting vouch also hands the group key over. */
    vouch: async (collective, candidate) => {
      const s = this.need();
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      const r = await s.feed.collectives.vouch(collective, candidate);
      this.publish(s);
      return {
        admitted: r.outcome === CollectiveOutcome.Admitted,
        view: await this.showCollective(s, collective),
      };
    },

    leave: async (name) => {
      const s = this.need();
      this.activity({ kind: 'postage', tried: 0, expected: 1 });
      await s.feed.collectives.leave(name);
      return this.publish(s);
    },

    /** A komrade's vouches over every collective of the relay (who vouched stays unknown). */
    vouchCount: async (rawName) => {
      const s = this.need();
      this.activity({ kind: 'network', what: 'Counting vouches' });
      const e = await s.komrade.whois(rawName);
      this.knownNames.set(toHex(e.identityKey), e.name);
      return { name: e.name, count: await s.feed.collectives.vouchCount(e.identityKey) };
    },
  };
}

const IMAGE_MIME: Readonly<Record<number, string>> = {
  [ImageType.Png]: 'image/png',
  [ImageType.Jpeg]: 'image/jpeg',
  [ImageType.Gif]: 'image/gif',
  [ImageType.Webp]: 'image/webp',
};

/** A quorum policy in words, for people. */
export function policyWords(p: QuorumPolicy): string {
  const v = (n: number): string => `${String(n)} vouch${n === 1 ? '' : 'es'}`;
  switch (p.kind) {
    case 'fixed':
      return `always ${v(p.count)}`;
    case 'fraction':
      return `${String(p.num)}/${String(p.den)} of the members, at least ${v(p.min)}`;
    case 'steps': {
      const rows = p.steps.map((r) => `${v(r.quorum)} up to ${String(r.upTo)} members`);
      if (p.div > 0) rows.push(`then one per ${String(p.div)} members, plus ${String(p.add)}`);
      return rows.join(', ');
    }
  }
}

/** Lets the activity message reach the page before a long synchronous step. */
function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
