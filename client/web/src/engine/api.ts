/**
 * The contract between the page (UI thread) and the engine worker. The worker holds the
 * keys, the SDK and the IndexedDB keystore; the page only ever sees the snapshots and
 * results below (public keys as fingerprints, texts, names), never a private key.
 */

/** One message in a conversation, as this device keeps it. */
export interface ChatMessage {
  /** Message id (hex) for received mail; a local id for sent mail. */
  readonly id: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  /** Sender's clock for received mail; our clock for sent mail. */
  readonly atMs: number;
  /**
   * `sent`: the relay stored it (202) and it waits in their mailbox; `deleted`: received
   * here, and the relay deleted its copy when we acknowledged it.
   */
  readonly status: 'sent' | 'deleted';
}

export interface ContactView {
  readonly name: string;
  /** `requested`: we asked and wait for their accept. */
  readonly state: 'requested' | 'established';
  readonly verified: boolean;
  readonly fingerprint: string;
  readonly sinceMs: number;
  readonly unread: number;
}

export interface RequestView {
  readonly name: string;
  readonly note: string;
  readonly fingerprint: string;
  readonly receivedAtMs: number;
}

/** This account's place in a collective. */
export interface MyCollective {
  readonly name: string;
  /** `candidate` until enough members vouched. */
  readonly state: 'candidate' | 'member';
  readonly founder: boolean;
  /** Whether the group key is here (needed to read and send collective posts). */
  readonly hasKey: boolean;
}

/** A member or candidate in a collective's public view (keys only: no mailbox, no voucher). */
export interface CollectiveEntryView {
  /** `@name` when this device knows whose key it is (a contact, a lookup, you), else ''. */
  readonly label: string;
  readonly fingerprint: string;
  readonly vouches: number;
  readonly epoch: number;
  readonly me: boolean;
}

export interface CollectiveView {
  readonly name: string;
  /** Vouches a candidate needs now: quorum(n) for the current size. */
  readonly quorum: number;
  /** The policy in the CLI's notation (`steps:10=1,n/10+1`) and in words. */
  readonly policy: string;
  readonly policyWords: string;
  readonly createdMs: number;
  readonly members: readonly CollectiveEntryView[];
  readonly candidates: readonly CollectiveEntryView[];
  readonly mine: MyCollective | undefined;
}

/** One post in the feed, its author checked by the SDK. */
export interface FeedItemView {
  readonly id: string;
  /** `world`, `friends` or `@collective`. */
  readonly source: string;
  readonly author: string;
  readonly text: string;
  readonly image: { readonly mime: string; readonly bytes: Uint8Array } | undefined;
  readonly sentAtMs: number;
  readonly expiresAtMs: number;
}

export interface FeedView {
  readonly items: readonly FeedItemView[];
  /** World posts that failed their checks and were not shown. */
  readonly worldRejected: number;
}

/** Everything the page shows about the unlocked account. */
export interface Snapshot {
  readonly name: string | undefined;
  readonly relay: string;
  readonly fingerprint: string;
  readonly contacts: readonly ContactView[];
  readonly requests: readonly RequestView[];
  readonly conversations: Readonly<Record<string, readonly ChatMessage[]>>;
  readonly collectives: readonly MyCollective[];
  /** When the last fetch of every mailbox finished (ms since epoch), if any did. */
  readonly lastSyncMs: number | undefined;
  /** Why the last fetch failed (the relay unreachable...), until one succeeds. */
  readonly syncError: string | undefined;
}

export interface DirectoryView {
  readonly name: string;
  readonly fingerprint: string;
  readonly relay: string;
  readonly registeredAtMs: number;
}

export interface SafetyView {
  readonly name: string;
  /** 12 groups of 5 digits, identical on both devices. */
  readonly groups: readonly string[];
  readonly mine: readonly string[];
  readonly theirs: readonly string[];
  readonly verified: boolean;
}

export interface SyncView {
  readonly messages: number;
  readonly requests: number;
  readonly accepted: readonly string[];
  readonly rejected: number;
}

/** Whether this browser holds an account, and whether it is unlocked. */
export interface Status {
  readonly stored: boolean;
  readonly unlocked: boolean;
}

/** Every call the page can make, with its arguments and result. */
export interface EngineMethods {
  status: { args: []; result: Status };
  create: { args: [name: string, passphrase: string]; result: Snapshot };
  unlock: { args: [passphrase: string]; result: Snapshot };
  register: { args: [name: string]; result: Snapshot };
  importAccount: {
    args: [file: Uint8Array, passphrase: string, replace: boolean];
    result: Snapshot;
  };
  exportAccount: { args: [passphrase: string]; result: Uint8Array };
  forget: { args: []; result: Status };
  snapshot: { args: []; result: Snapshot };
  sync: { args: []; result: SyncView };
  whois: { args: [name: string]; result: DirectoryView };
  meet: { args: [name: string, note: string]; result: { acceptedTheirs: boolean } };
  accept: { args: [name: string]; result: Snapshot };
  decline: { args: [name: string]; result: Snapshot };
  send: { args: [name: string, text: string]; result: Snapshot };
  markRead: { args: [name: string]; result: Snapshot };
  safety: { args: [name: string]; result: SafetyView };
  verify: { args: [name: string, phrase: string]; result: SafetyView };
  feed: { args: [world: boolean]; result: FeedView };
  /** `audience`: `world`, `friends` or `@collective`; resolves with who it reached. */
  post: {
    args: [audience: string, text: string, image: Uint8Array | undefined, ttlSec: number];
    result: { readonly reached: string };
  };
  collective: { args: [name: string]; result: CollectiveView };
  found: { args: [name: string, policy: string]; result: CollectiveView };
  join: { args: [name: string]; result: CollectiveView };
  vouch: {
    args: [collective: string, candidate: string];
    result: { readonly admitted: boolean; readonly view: CollectiveView };
  };
  leave: { args: [name: string]; result: Snapshot };
  vouchCount: { args: [name: string]; result: { readonly name: string; readonly count: number } };
}

export type MethodName = keyof EngineMethods;

export interface CallMessage<M extends MethodName = MethodName> {
  readonly kind: 'call';
  readonly id: number;
  readonly method: M;
  readonly args: EngineMethods[M]['args'];
}

/** An error as the page receives it: a registry code (or ERR_WEB_*) and a sentence. */
export interface EngineError {
  readonly code: string;
  readonly message: string;
}

/** What the engine is busy with, for progress displays. */
export type Activity =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'kdf'; readonly what: string }
  | { readonly kind: 'postage'; readonly tried: number; readonly expected: number }
  | { readonly kind: 'network'; readonly what: string }
  | { readonly kind: 'verify'; readonly with: string };

export type WorkerMessage =
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: EngineError }
  | { readonly kind: 'activity'; readonly activity: Activity }
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly kind: 'ready' }
  | { readonly kind: 'fatal'; readonly error: EngineError };
