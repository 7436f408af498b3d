import {
  bytesEqual,
  checkRegistrable,
  Comparator,
  ContentKind,
  decodeContactAccept,
  decodeContactRequest,
  decodeVerifyStep,
  encodeContactAccept,
  encodeContactRequest,
  encodeVerifyStep,
  isVerifyInitiator,
  KomradeError,
  MAX_NOTE_BYTES,
  normalizeName,
  safetyNumber,
  safetySecret,
  toHex,
  VERIFY_RUN_ID_SIZE,
  type DirectoryEntry,
  type ErrorCode,
  type OpenedMail,
  type SafetyNumber,
  type VerifyStep,
} from '@komrade/protocol';
import type { AccountState, Contact, InboxMessage, PendingRequest } from './account.js';
import { bareName, parseHandle, type Handle } from './handle.js';
import { senderIn, type KomradeClient } from './komrade-client.js';
import { newMailbox, targetOf, type MailboxTarget, type OwnedMailbox } from './mailbox.js';
import { friendsPostExpiry, keepPost } from './posts.js';
import { randomBytes } from './random.js';

export interface KomradeOptions {
  readonly client: KomradeClient;
  readonly account: AccountState;
  /**
   * Makes the account durable (the keystore save). Called before anything that cannot
   * be undone: acknowledging fetched mail (the relay then deletes it) and sending a
   * mailbox address whose keys exist only in this account.
   */
  readonly persist: () => Promise<void>;
  readonly now?: () => number;
  /** Waits between polls of a mailbox (interactive checks). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What one sync did. */
export interface SyncReport {
  /** Text messages added to the inbox. */
  messages: number;
  /** Contact requests recorded (new or refreshed). */
  requests: number;
  /** Contacts whose accept arrived in this sync. */
  accepted: string[];
  /** Mail that was fetched, refused and deleted, by reason. */
  rejected: ErrorCode[];
}

export interface VerifyOptions {
  /** Give up after this long (default 2 minutes). */
  readonly timeoutMs?: number;
  /** Time between mailbox polls (default 500 ms). */
  readonly pollMs?: number;
  /** Called once, when this side starts waiting for the other. */
  readonly onWaiting?: (role: 'initiator' | 'responder') => void;
}

/** Steps of an interactive check older than this are dropped unseen. */
export const VERIFY_STEP_MAX_AGE_MS = 10 * 60_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

function emptyReport(): SyncReport {
  return { messages: 0, requests: 0, accepted: [], rejected: [] };
}

function merge(a: SyncReport, b: SyncReport): SyncReport {
  return {
    messages: a.messages + b.messages,
    requests: a.requests + b.requests,
    accepted: [...a.accepted, ...b.accepted],
    rejected: [...a.rejected, ...b.rejected],
  };
}

/** Parses a name a person typed; KomradeError(ERR_NAME_INVALID) if it is not one. */
export function parseName(input: string): string {
  const n = normalizeName(input);
  if (!n.ok) throw new KomradeError(n.code);
  return n.value;
}

/**
 * A komrade's account at work: registration, meeting, contact mailboxes, messages and
 * safety-number checks, on top of KomradeClient. All state lives in `account`; the
 * caller persists it through `persist`.
 */
export class Komrade {
  private readonly client: KomradeClient;
  readonly account: AccountState;
  private readonly persistFn: () => Promise<void>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(o: KomradeOptions) {
    this.client = o.client;
    this.account = o.account;
    this.persistFn = o.persist;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private async persist(): Promise<void> {
    this.account.replay = this.client.replayGuard.export();
    await this.persistFn();
  }

  private requireName(): string {
    if (this.account.name === undefined) throw new KomradeError('ERR_KEYSTORE_UNNAMED');
    return this.account.name;
  }

  /** The SDK connection this account works through (collectives and posts use it too). */
  get relayClient(): KomradeClient {
    return this.client;
  }

  /** `name` or `name@relay` as typed, relative to our home relay (federation). */
  private handle(input: string): Handle {
    return parseHandle(input, this.account.relay);
  }

  /** The contact called `name` or `name@relay` (as typed); ERR_CONTACT_UNKNOWN if there is none. */
  contact(name: string): Contact {
    const n = this.handle(name).handle;
    const c = this.account.contacts.find((x) => x.name === n);
    if (!c) throw new KomradeError('ERR_CONTACT_UNKNOWN');
    return c;
  }

  /**
   * Registers `name` for this account: makes sure the introduction mailbox exists on the
   * relay, then signs, stamps and submits the directory entry. The same name again is
   * idempotent; another name once one is registered is ERR_KEYSTORE_NAMED.
   * @param onSubmit called just before the registration leaves, once per call
   */
  async register(name: string, onSubmit?: () => void): Promise<DirectoryEntry> {
    const n = parseName(name);
    const allowed = checkRegistrable(n);
    if (!allowed.ok) throw new KomradeError(allowed.code);
    if (this.account.name !== undefined && this.account.name !== n)
      throw new KomradeError('ERR_KEYSTORE_NAMED');
    const info = await this.client.relayInfo();
    if (info.relay !== this.account.relay) throw new KomradeError('ERR_RELAY_UNKNOWN');
    await this.client.createMailbox(this.account.intro);
    onSubmit?.();
    const entry = await this.client.registerName(
      this.account.identity,
      n,
      targetOf(this.account.intro),
    );
    this.account.name = n;
    return entry;
  }

  /** Looks up and verifies a directory entry. */
  whois(name: string): Promise<DirectoryEntry> {
    const h = this.handle(name);
    return this.client.lookupName(h.name, h.remote);
  }

  /**
   * Asks `name` to become a contact: looks them up, makes a mailbox for them alone,
   * saves it, and seals a ContactRequest (our name, that mailbox and its key) to their
   * introduction mailbox. Meeting someone who already asked us accepts their request.
   * Meeting someone we already asked sends the same request again.
   */
  async meet(name: string, note = ''): Promise<{ contact: Contact; acceptedTheirs: boolean }> {
    const me = this.requireName();
    const h = this.handle(name);
    const n = h.handle;
    if (n === me) throw new KomradeError('ERR_CONTACT_SELF');
    if (enc.encode(note).length > MAX_NOTE_BYTES) throw new KomradeError('ERR_WIRE_LENGTH', 'note');
    let existing = this.account.contacts.find((c) => c.name === n);
    if (existing?.state === 'established') throw new KomradeError('ERR_CONTACT_EXISTS');
    if (this.account.requests.some((r) => r.name === n))
      return { contact: await this.accept(n), acceptedTheirs: true };
    const entry = await this.client.lookupName(h.name, h.remote);
    if (existing && !bytesEqual(existing.identityKey, entry.identityKey))
      throw new KomradeError('ERR_CONTACT_KEY_CHANGED');
    if (!existing) {
      const mine = newMailbox(this.account.relay);
      await this.client.createMailbox(mine);
      existing = {
        name: n,
        identityKey: entry.identityKey,
        mine,
        theirs: undefined,
        state: 'requested',
        verified: false,
        sinceMs: this.now(),
      };
      this.account.contacts.push(existing);
      await this.persist();
    } else {
      await this.client.createMailbox(existing.mine);
    }
    const content = encodeContactRequest({
      name: me,
      mailbox: existing.mine.address,
      mailboxKey: existing.mine.keys.publicKey,
      note,
    });
    await this.client.send(this.account.identity, [
      {
        to: { address: entry.intro, publicKey: entry.introKey },
        kind: ContentKind.ContactRequest,
        content,
      },
    ]);
    return { contact: existing, acceptedTheirs: false };
  }

  /**
   * Accepts the pending request from `name` (fetching the introduction mailbox first):
   * makes our mailbox for them, saves the contact, and sends a ContactAccept to the
   * mailbox their request named. Accepting an established contact again re-sends it.
   */
  async accept(name: string): Promise<Contact> {
    const me = this.requireName();
    const n = this.handle(name).handle;
    await this.syncIntro();
    let contact = this.account.contacts.find((c) => c.name === n);
    const request = this.account.requests.find((r) => r.name === n);
    if (request) {
      const mine = contact?.mine ?? newMailbox(this.account.relay);
      await this.client.createMailbox(mine);
      if (contact && !bytesEqual(contact.identityKey, request.identityKey))
        throw new KomradeError('ERR_CONTACT_KEY_CHANGED');
      contact ??= {
        name: n,
        identityKey: request.identityKey,
        mine,
        theirs: undefined,
        state: 'requested',
        verified: false,
        sinceMs: this.now(),
      };
      contact.theirs = request.theirs;
      contact.state = 'established';
      if (!this.account.contacts.includes(contact)) this.account.contacts.push(contact);
      this.account.requests = this.account.requests.filter((r) => r !== request);
      await this.persist();
    } else if (contact?.state !== 'established' || contact.theirs === undefined) {
      throw new KomradeError('ERR_CONTACT_NO_REQUEST');
    }
    const theirs: MailboxTarget = contact.theirs;
    await this.client.send(this.account.identity, [
      {
        to: theirs,
        kind: ContentKind.ContactAccept,
        content: encodeContactAccept({
          name: me,
          mailbox: contact.mine.address,
          mailboxKey: contact.mine.keys.publicKey,
        }),
      },
    ]);
    return contact;
  }

  /** Sends a text message to an established contact (checking for their accept first). */
  async send(name: string, text: string): Promise<void> {
    const contact = this.contact(name);
    if (contact.state !== 'established') await this.syncContacts([contact]);
    if (contact.state !== 'established' || contact.theirs === undefined)
      throw new KomradeError('ERR_CONTACT_PENDING');
    await this.client.send(this.account.identity, [
      { to: contact.theirs, kind: ContentKind.Text, content: enc.encode(text) },
    ]);
  }

  /** Removes and returns the messages waiting in the local inbox, oldest first. */
  takeInbox(): InboxMessage[] {
    const out = [...this.account.inbox].sort((a, b) => a.sentAtMs - b.sentAtMs);
    this.account.inbox = [];
    return out;
  }

  /** Fetches everything: the introduction mailbox and every contact mailbox. */
  async syncAll(): Promise<SyncReport> {
    return merge(await this.syncIntro(), await this.syncContacts());
  }

  /**
   * Fetches the introduction mailbox. Only ContactRequests are kept, and only when the
   * name they claim is registered in the directory to the very key that sealed them;
   * everything else is refused (and deleted, like all fetched mail).
   */
  async syncIntro(): Promise<SyncReport> {
    const report = emptyReport();
    await this.syncMailbox(this.account.intro, undefined, report, async (mail) => {
      if (mail.body.kind !== ContentKind.ContactRequest) return 'ERR_WIRE_TYPE';
      const req = decodeContactRequest(mail.body.content);
      if (!req.ok) return req.code;
      const r = req.value;
      // the requester's relay is the relay of the mailbox it asks us to write to
      const from = parseHandle(`${r.name}@${r.mailbox.relay}`, this.account.relay);
      if (from.handle === this.account.name) return 'ERR_CONTACT_SELF';
      let entry: DirectoryEntry;
      try {
        entry = await this.client.lookupName(from.name, from.remote);
      } catch (e) {
        if (e instanceof KomradeError && !e.retryable) return e.code;
        throw e;
      }
      if (!bytesEqual(entry.identityKey, mail.senderKey)) return 'ERR_CONTACT_KEY_CHANGED';
      const theirs: MailboxTarget = { address: r.mailbox, publicKey: r.mailboxKey };
      const contact = this.account.contacts.find((c) => c.name === from.handle);
      if (contact) {
        if (!bytesEqual(contact.identityKey, mail.senderKey)) return 'ERR_CONTACT_KEY_CHANGED';
        // We asked them and they asked us: each request is the other's accept.
        if (contact.state === 'requested') {
          contact.theirs = theirs;
          contact.state = 'established';
          report.accepted.push(contact.name);
        }
        return undefined;
      }
      const pending: PendingRequest = {
        name: from.handle,
        identityKey: mail.senderKey,
        theirs,
        note: r.note,
        receivedAtMs: this.now(),
      };
      this.account.requests = [
        ...this.account.requests.filter((x) => x.name !== from.handle),
        pending,
      ];
      report.requests++;
      return undefined;
    });
    return report;
  }

  /**
   * Fetches contact mailboxes (all, or the given contacts). Only the contact's own
   * identity key may write there: anything sealed by another key is refused with
   * ERR_SEAL_WRONG_SENDER and deleted. Accepts complete a contact, texts go to the
   * inbox, safety-check steps are queued for `verifyInteractive`.
   */
  async syncContacts(contacts: readonly Contact[] = this.account.contacts): Promise<SyncReport> {
    const report = emptyReport();
    for (const contact of contacts) {
      await this.syncMailbox(contact.mine, senderIn([contact.identityKey]), report, (mail) =>
        Promise.resolve(this.fromContact(contact, mail, report)),
      );
    }
    const oldest = this.now() - VERIFY_STEP_MAX_AGE_MS;
    this.account.verifySteps = this.account.verifySteps.filter((s) => s.sentAtMs >= oldest);
    return report;
  }

  private fromContact(
    contact: Contact,
    mail: OpenedMail,
    report: SyncReport,
  ): ErrorCode | undefined {
    const body = mail.body;
    switch (body.kind) {
      case ContentKind.ContactAccept: {
        const a = decodeContactAccept(body.content);
        if (!a.ok) return a.code;
        if (a.value.name !== bareName(contact.name)) return 'ERR_WIRE_FIELD';
        const wasPending = contact.state !== 'established';
        contact.theirs = { address: a.value.mailbox, publicKey: a.value.mailboxKey };
        contact.state = 'established';
        if (wasPending) report.accepted.push(contact.name);
        return undefined;
      }
      case ContentKind.Text: {
        let text: string;
        try {
          text = utf8.decode(body.content);
        } catch {
          return 'ERR_WIRE_FIELD';
        }
        this.account.inbox.push({
          from: contact.name,
          text,
          sentAtMs: body.timestampMs,
          receivedAtMs: this.now(),
          id: toHex(body.messageId),
        });
        report.messages++;
        return undefined;
      }
      case ContentKind.Verify: {
        const s = decodeVerifyStep(body.content);
        if (!s.ok) return s.code;
        this.account.verifySteps.push({
          from: contact.name,
          ...s.value,
          sentAtMs: body.timestampMs,
        });
        return undefined;
      }
      case ContentKind.Post:
        // a friends post: its author is the contact whose key sealed it
        return keepPost(this.account, 'friends', contact.name, mail, friendsPostExpiry(mail));
      case ContentKind.ContactRequest:
      case ContentKind.CollectiveKey:
        return 'ERR_WIRE_TYPE';
    }
  }

  /**
   * Fetch page -> open and handle each message -> persist -> ack, until the mailbox is
   * empty. The account is saved before the relay deletes anything, so a crash loses no
   * mail (it is fetched again, and the replay guard drops what was already taken).
   */
  private async syncMailbox(
    m: OwnedMailbox,
    acceptSender: ((k: Uint8Array) => boolean) | undefined,
    report: SyncReport,
    handle: (mail: OpenedMail) => Promise<ErrorCode | undefined>,
  ): Promise<void> {
    for (;;) {
      const page = await this.fetchPage(m);
      for (const env of page.envelopes) {
        const opened = this.client.open(m, env, acceptSender);
        const code = opened.ok ? await handle(opened.value) : opened.code;
        if (code !== undefined) report.rejected.push(code);
      }
      if (page.envelopes.length === 0) return;
      await this.persist();
      await this.client.ack(
        m,
        page.envelopes.map((e) => e.id),
      );
      if (page.remaining === 0) return;
    }
  }

  /** Mailboxes live in memory on the relay: after a relay restart, register ours again. */
  private async fetchPage(m: OwnedMailbox): ReturnType<KomradeClient['fetchPage']> {
    try {
      return await this.client.fetchPage(m);
    } catch (e) {
      if (!(e instanceof KomradeError) || e.code !== 'ERR_MAILBOX_AUTH') throw e;
      await this.client.createMailbox(m);
      return this.client.fetchPage(m);
    }
  }

  /** The safety number shared with a contact (the same 60 digits on both sides). */
  safetyNumber(name: string): SafetyNumber {
    return safetyNumber(this.account.identity.publicKey, this.contact(name).identityKey);
  }

  /**
   * Interactive safety-number check with Themis Secure Comparator over the two contact
   * mailboxes: both komrades run it at about the same time with the same `phrase`,
   * agreed outside Komrade; the one with the lower identity key starts. Neither side
   * learns anything but whether both hold the same pair of identity keys and phrase (see
   * safetySecret for why keys alone would not stop an interceptor). Resolves true on a
   * match (the contact is marked verified), false on a mismatch; ERR_VERIFY_TIMEOUT when
   * the other side does not finish in time.
   */
  async verifyInteractive(name: string, phrase: string, o: VerifyOptions = {}): Promise<boolean> {
    if (phrase.length === 0) throw new KomradeError('ERR_CRYPTO_INPUT', 'empty phrase');
    const contact = this.contact(name);
    if (contact.state !== 'established') await this.syncContacts([contact]);
    if (contact.state !== 'established' || contact.theirs === undefined)
      throw new KomradeError('ERR_CONTACT_PENDING');
    const theirs = contact.theirs;
    const mine = this.account.identity.publicKey;
    const secret = safetySecret(mine, contact.identityKey, phrase);
    const initiator = isVerifyInitiator(mine, contact.identityKey);
    const deadline = this.now() + (o.timeoutMs ?? 120_000);
    const pollMs = o.pollMs ?? 500;
    const send = async (step: VerifyStep): Promise<void> => {
      await this.client.send(this.account.identity, [
        { to: theirs, kind: ContentKind.Verify, content: encodeVerifyStep(step) },
      ]);
    };
    const next = async (pick: (s: VerifyStep & { sentAtMs: number }) => boolean) => {
      for (;;) {
        const queue = this.account.verifySteps.filter((s) => s.from === contact.name);
        const found = queue.filter(pick).sort((a, b) => b.sentAtMs - a.sentAtMs)[0];
        if (found) {
          this.account.verifySteps = this.account.verifySteps.filter((s) => s !== found);
          return found;
        }
        if (this.now() >= deadline) throw new KomradeError('ERR_VERIFY_TIMEOUT');
        await this.sleep(pollMs);
        await this.syncContacts([contact]);
      }
    };
    const step = (c: Comparator, payload: Uint8Array): Uint8Array => {
      const r = c.proceed(payload);
      if (!r.ok) throw new KomradeError(r.code);
      return r.value;
    };
    o.onWaiting?.(initiator ? 'initiator' : 'responder');
    let equal: boolean;
    if (initiator) {
      const runId = randomBytes(VERIFY_RUN_ID_SIZE);
      const same = (s: VerifyStep): boolean => bytesEqual(s.runId, runId);
      // steps of earlier runs can never complete this one: drop them
      this.account.verifySteps = this.account.verifySteps.filter((s) => s.from !== contact.name);
      using c = new Comparator(secret);
      const first = c.begin();
      if (!first.ok) throw new KomradeError(first.code);
      await send({ runId, step: 1, payload: first.value });
      const s2 = await next((s) => s.step === 2 && same(s));
      await send({ runId, step: 3, payload: step(c, s2.payload) });
      const s4 = await next((s) => s.step === 4 && same(s));
      step(c, s4.payload);
      equal = c.complete && c.equal;
    } else {
      let s1 = await next((s) => s.step === 1);
      for (;;) {
        using c = new Comparator(secret);
        const current = s1;
        await send({ runId: current.runId, step: 2, payload: step(c, current.payload) });
        // a newer first step means the initiator started over: follow it
        const s = await next(
          (x) =>
            (x.step === 3 && bytesEqual(x.runId, current.runId)) ||
            (x.step === 1 && !bytesEqual(x.runId, current.runId) && x.sentAtMs >= current.sentAtMs),
        );
        if (s.step === 1) {
          s1 = s;
          continue;
        }
        await send({ runId: current.runId, step: 4, payload: step(c, s.payload) });
        equal = c.complete && c.equal;
        break;
      }
    }
    contact.verified = equal;
    await this.persist();
    return equal;
  }
}
