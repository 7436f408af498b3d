import {
  bytesEqual,
  decodeAccepted,
  decodeAckResponse,
  decodeDirectoryRecord,
  decodeFetchResponse,
  decodeSessionGrant,
  encodeAckRequest,
  encodeDirectoryLookup,
  encodeDirectoryRegister,
  encodeEnvelopeBatch,
  encodeFetchRequest,
  encodeMailboxCreate,
  encodeRemoteLookup,
  encodeSessionOpen,
  encodeSessionProof,
  KomradeError,
  MAX_BATCH,
  MAX_DIFFICULTY,
  MAX_FETCH,
  mintPostageAsync,
  openDirectoryRecord,
  openMail,
  POST_EXTRA_BITS,
  PROOF_NONCE_SIZE,
  REGISTRATION_EXTRA_BITS,
  registrationIdOf,
  sealMail,
  secureMessageSign,
  signDirectoryEntry,
  withPostage,
  type ContentKind,
  type DecodedEnvelope,
  type DirectoryEntry,
  type ErrorCode,
  type KeyPair,
  type Sealed,
  type OpenedMail,
  type Result,
} from '@komrade/protocol';
import type { MailboxTarget, OwnedMailbox } from './mailbox.js';
import { randomBytes } from './random.js';
import { ReplayGuard } from './replay-guard.js';
import type { Transport } from './transport.js';

export interface RelayInfo {
  readonly relay: string;
  readonly protocol: number;
  readonly postageBits: number;
  readonly maxTtlSec: number;
  readonly maxBatch: number;
  /** Federation: postage floor for mail to peer relays (none when the relay has no peers). */
  readonly peerPostageBits?: number;
  /** Longest lifetime the relay allows a world post (absent: an older relay). */
  readonly worldMaxTtlSec?: number;
}

export interface OutgoingMessage {
  readonly to: MailboxTarget;
  readonly kind: ContentKind;
  readonly content: Uint8Array;
  /** Lifetime on the relay; default 7 days, capped by the relay maximum. */
  readonly ttlSec?: number;
}

export interface ReceivedMessage {
  readonly envelopeId: Uint8Array;
  readonly opened: OpenedMail;
}

export interface RejectedMessage {
  readonly envelopeId: Uint8Array;
  readonly code: ErrorCode;
}

export interface ReceiveOptions {
  /** Decides whether a proven sender key may write to this mailbox (contact check). */
  readonly acceptSender?: (senderKey: Uint8Array) => boolean;
  /** Most messages to take in this call (default: everything waiting). */
  readonly max?: number;
  /** Called after each page with how many were taken so far and how many remain. */
  readonly onProgress?: (taken: number, remaining: number) => void;
}

export interface ClientOptions {
  readonly transport: Transport;
  /** Accept timestamps up to this old (default 8 days: mail lives at most 7). */
  readonly maxAgeMs?: number;
  /** Accept sender clocks this far ahead (default 5 minutes). */
  readonly maxSkewMs?: number;
  readonly now?: () => number;
  /** Called while minting postage: attempts so far, expected total. */
  readonly onPostageProgress?: (tried: number, expected: number) => void;
  readonly replayGuard?: ReplayGuard;
}

interface Session {
  token: Uint8Array;
  expiresAt: number;
}

const DAY_MS = 86_400_000;

/**
 * The Komrade SDK's connection to one operator: sends sealed mail, owns mailboxes
 * (create, session, fetch, ack), and opens received mail with every recipient check.
 */
export class KomradeClient {
  private info?: RelayInfo;
  private readonly sessions = new Map<string, Session>();
  readonly replayGuard: ReplayGuard;
  private readonly now: () => number;

  constructor(private readonly o: ClientOptions) {
    this.now = o.now ?? Date.now;
    this.replayGuard = o.replayGuard ?? new ReplayGuard(this.maxAgeMs);
  }

  private get maxAgeMs(): number {
    return this.o.maxAgeMs ?? 8 * DAY_MS;
  }

  /** Relay facts (cached after the first call). */
  async relayInfo(refresh = false): Promise<RelayInfo> {
    if (this.info && !refresh) return this.info;
    const j = (await this.o.transport.getJson('/v1/info')) as Partial<RelayInfo>;
    if (
      typeof j.relay !== 'string' ||
      typeof j.postageBits !== 'number' ||
      typeof j.maxTtlSec !== 'number'
    )
      throw new KomradeError('ERR_CLIENT_PROTOCOL', 'bad /v1/info');
    this.info = {
      relay: j.relay,
      protocol: j.protocol ?? 1,
      postageBits: j.postageBits,
      maxTtlSec: j.maxTtlSec,
      maxBatch: j.maxBatch ?? MAX_BATCH,
      ...(typeof j.peerPostageBits === 'number' ? { peerPostageBits: j.peerPostageBits } : {}),
      ...(typeof j.worldMaxTtlSec === 'number' ? { worldMaxTtlSec: j.worldMaxTtlSec } : {}),
    };
    return this.info;
  }

  /** Registers a mailbox (idempotent for the same key). */
  async createMailbox(m: OwnedMailbox): Promise<void> {
    await this.o.transport.post(
      '/v1/mailboxes',
      encodeMailboxCreate({ id: m.address.id, publicKey: m.keys.publicKey }),
    );
  }

  /**
   * Looks a name up in the directory and checks the answer as every client must: the
   * entry is signed by the key it names, and it is the entry for this very name (the
   * relay is not trusted). `ERR_NAME_NOT_FOUND` when nobody has registered it.
   * @param name a canonical name (see normalizeName)
   * @param relay the relay the name is registered on, when it is not our home relay: the
   * home relay asks that peer (federation), and the entry must name a mailbox there
   */
  async lookupName(name: string, relay?: string): Promise<DirectoryEntry> {
    const res = await this.o.transport.post(
      '/v1/directory/lookup',
      relay === undefined ? encodeDirectoryLookup({ name }) : encodeRemoteLookup({ relay, name }),
    );
    const record = decodeDirectoryRecord(res.body);
    if (!record.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
    const entry = openDirectoryRecord(record.value, name);
    if (!entry.ok) throw new KomradeError(entry.code);
    if (relay !== undefined && entry.value.intro.relay !== relay)
      throw new KomradeError('ERR_NAME_PROOF');
    return entry.value;
  }

  /**
   * Registers `name` for an identity key with its introduction mailbox: signs the entry
   * (proof of possession, fresh timestamp), stamps registration postage (mail difficulty
   * plus REGISTRATION_EXTRA_BITS, reported through onPostageProgress) and posts it.
   * Registering the same name with the same key again is idempotent and answers the
   * stored entry. `ERR_NAME_TAKEN` when another key holds the name.
   */
  async registerName(
    identity: KeyPair,
    name: string,
    intro: MailboxTarget,
  ): Promise<DirectoryEntry> {
    const signed = signDirectoryEntry(identity, {
      name,
      identityKey: identity.publicKey,
      intro: intro.address,
      introKey: intro.publicKey,
      timestampMs: this.now(),
    });
    if (!signed.ok) throw new KomradeError(signed.code);
    const unstamped = { identityKey: identity.publicKey, signedEntry: signed.value };
    const id = registrationIdOf(unstamped);
    for (let attempt = 0; ; attempt++) {
      const bits = Math.min(
        MAX_DIFFICULTY,
        (await this.relayInfo()).postageBits + REGISTRATION_EXTRA_BITS,
      );
      const postage = await mintPostageAsync(
        id,
        bits,
        this.o.onPostageProgress ? { onProgress: this.o.onPostageProgress } : {},
      );
      try {
        const res = await this.o.transport.post(
          '/v1/directory/register',
          encodeDirectoryRegister({ ...unstamped, postage }),
        );
        const record = decodeDirectoryRecord(res.body);
        if (!record.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
        const entry = openDirectoryRecord(record.value, name);
        if (!entry.ok) throw new KomradeError(entry.code);
        if (!bytesEqual(entry.value.identityKey, identity.publicKey))
          throw new KomradeError('ERR_NAME_TAKEN');
        return entry.value;
      } catch (e) {
        if (e instanceof KomradeError && e.code === 'ERR_POSTAGE_INSUFFICIENT' && attempt < 3) {
          await this.relayInfo(true);
          continue;
        }
        throw e;
      }
    }
  }

  /** Seals one message (sender identity inside) with a lifetime capped by the relay's maximum. */
  private seal(sender: KeyPair, m: OutgoingMessage, maxTtlSec: number): Sealed {
    const ttl = Math.min(m.ttlSec ?? 7 * 86400, maxTtlSec);
    const r = sealMail({
      to: m.to.address,
      mailboxKey: m.to.publicKey,
      sender,
      kind: m.kind,
      content: m.content,
      expiryHour: Math.floor((this.now() + ttl * 1000) / 3_600_000) - 1,
      timestampMs: this.now(),
      messageId: randomBytes(16),
    });
    if (!r.ok) throw new KomradeError(r.code);
    return r.value;
  }

  /**
   * Seals messages (sender identity inside), stamps postage, and posts them in batches.
   * Resolves with the envelope ids once the relay has stored every one (202).
   */
  async send(sender: KeyPair, messages: readonly OutgoingMessage[]): Promise<Uint8Array[]> {
    const info = await this.relayInfo();
    const sealed = messages.map((m) => this.seal(sender, m, info.maxTtlSec));
    const stampable = sealed.map((s, i) => ({
      ...s,
      // federation: mail to another relay meets the peer postage floor too
      foreign: (messages[i] as OutgoingMessage).to.address.relay !== info.relay,
    }));
    const ids: Uint8Array[] = [];
    for (let i = 0; i < stampable.length; i += info.maxBatch)
      ids.push(...(await this.postStamped(stampable.slice(i, i + info.maxBatch))));
    return ids;
  }

  private async postStamped(
    batch: readonly { bytes: Uint8Array; id: Uint8Array; relayLength: number; foreign?: boolean }[],
  ): Promise<Uint8Array[]> {
    for (let attempt = 0; ; attempt++) {
      const info = await this.relayInfo();
      const stamped: Uint8Array[] = [];
      for (const s of batch) {
        const nonce = await mintPostageAsync(
          s.id,
          s.foreign ? Math.max(info.postageBits, info.peerPostageBits ?? 0) : info.postageBits,
          this.o.onPostageProgress ? { onProgress: this.o.onPostageProgress } : {},
        );
        stamped.push(withPostage(s.bytes, s.relayLength, nonce));
      }
      try {
        const res = await this.o.transport.post('/v1/mail', encodeEnvelopeBatch(stamped));
        const ids = decodeAccepted(res.body);
        if (!ids.ok || ids.value.length !== batch.length)
          throw new KomradeError('ERR_CLIENT_PROTOCOL');
        return ids.value;
      } catch (e) {
        // the relay raised its difficulty under load: learn the new one and stamp again
        if (e instanceof KomradeError && e.code === 'ERR_POSTAGE_INSUFFICIENT' && attempt < 3) {
          await this.relayInfo(true);
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * POSTs a body carrying postage over `id` at the relay's difficulty plus `extraBits`
   * (`build` makes the body from the nonce), stamping again if the relay raised its
   * difficulty meanwhile. Resolves with the answer's bytes. `foreign`: the request goes
   * on to a peer relay, so the stamp must also meet the federation floor.
   */
  async postWithPostage(
    path: string,
    id: Uint8Array,
    extraBits: number,
    build: (postage: Uint8Array) => Uint8Array,
    foreign = false,
  ): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      const info = await this.relayInfo();
      const base = foreign
        ? Math.max(info.postageBits, info.peerPostageBits ?? 0)
        : info.postageBits;
      const bits = Math.min(MAX_DIFFICULTY, base + extraBits);
      const postage = await mintPostageAsync(
        id,
        bits,
        this.o.onPostageProgress ? { onProgress: this.o.onPostageProgress } : {},
      );
      try {
        return (await this.o.transport.post(path, build(postage))).body;
      } catch (e) {
        if (e instanceof KomradeError && e.code === 'ERR_POSTAGE_INSUFFICIENT' && attempt < 3) {
          await this.relayInfo(true);
          continue;
        }
        throw e;
      }
    }
  }

  /** POSTs a public query (no postage: collective views, vouch counts, world lists). */
  async query(path: string, body: Uint8Array): Promise<Uint8Array> {
    return (await this.o.transport.post(path, body)).body;
  }

  /**
   * Seals one message to a collective's group key, addressed to its fan-out address,
   * and sends it in one request (POST /v1/fanout, postage plus POST_EXTRA_BITS); the
   * sorter copies it into every member's mailbox (through the collective's relay when it
   * is a peer of ours). Resolves with the envelope id.
   */
  async sendFanout(sender: KeyPair, m: OutgoingMessage): Promise<Uint8Array> {
    const info = await this.relayInfo();
    const sealed = this.seal(sender, m, info.maxTtlSec);
    const body = await this.postWithPostage(
      '/v1/fanout',
      sealed.id,
      POST_EXTRA_BITS,
      (nonce) => withPostage(sealed.bytes, sealed.relayLength, nonce),
      m.to.address.relay !== info.relay,
    );
    const ids = decodeAccepted(body);
    if (
      !ids.ok ||
      ids.value.length !== 1 ||
      !bytesEqual(ids.value[0] ?? new Uint8Array(), sealed.id)
    )
      throw new KomradeError('ERR_CLIENT_PROTOCOL');
    return sealed.id;
  }

  private async session(m: OwnedMailbox): Promise<Uint8Array> {
    const key = m.address.id.join(',');
    const s = this.sessions.get(key);
    if (s && s.expiresAt > this.now()) return s.token;
    const proof = encodeSessionProof({
      mailbox: m.address,
      timestampMs: this.now(),
      nonce: randomBytes(PROOF_NONCE_SIZE),
    });
    const signed = secureMessageSign(m.keys.privateKey, proof);
    if (!signed.ok) throw new KomradeError(signed.code);
    const res = await this.o.transport.post(
      '/v1/sessions',
      encodeSessionOpen({ id: m.address.id, signedProof: signed.value }),
    );
    const grant = decodeSessionGrant(res.body);
    if (!grant.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
    // renew a little early so a fetch never races the expiry
    this.sessions.set(key, {
      token: grant.value.token,
      expiresAt: this.now() + grant.value.ttlSec * 800,
    });
    return grant.value.token;
  }

  /** One page of raw envelopes (no decryption, no ack). */
  async fetchPage(
    m: OwnedMailbox,
    max = MAX_FETCH,
  ): Promise<{ remaining: number; envelopes: DecodedEnvelope[] }> {
    const call = async (): Promise<{ remaining: number; envelopes: DecodedEnvelope[] }> => {
      const token = await this.session(m);
      const res = await this.o.transport.post(
        '/v1/fetch',
        encodeFetchRequest({ id: m.address.id, token, max }),
      );
      const page = decodeFetchResponse(res.body);
      if (!page.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
      return page.value;
    };
    return this.withSessionRetry(m, call);
  }

  /** Deletes envelopes from the relay; resolves with how many were deleted. */
  async ack(m: OwnedMailbox, ids: readonly Uint8Array[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < ids.length; i += MAX_FETCH) {
      const chunk = ids.slice(i, i + MAX_FETCH);
      deleted += await this.withSessionRetry(m, async () => {
        const token = await this.session(m);
        const res = await this.o.transport.post(
          '/v1/ack',
          encodeAckRequest({ id: m.address.id, token, ids: chunk }),
        );
        const n = decodeAckResponse(res.body);
        if (!n.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
        return n.value;
      });
    }
    return deleted;
  }

  /** A session may expire or vanish (relay restart): open a fresh one once and retry. */
  private async withSessionRetry<T>(m: OwnedMailbox, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof KomradeError) || e.code !== 'ERR_MAILBOX_AUTH') throw e;
      this.sessions.delete(m.address.id.join(','));
      return fn();
    }
  }

  /** Checks one envelope as its recipient: decrypt, signature, mailbox, time, sender, replay. */
  open(
    m: OwnedMailbox,
    env: DecodedEnvelope,
    acceptSender?: (k: Uint8Array) => boolean,
  ): Result<OpenedMail> {
    const now = this.now();
    const r = openMail(env, m.keys.privateKey, {
      nowMs: now,
      maxAgeMs: this.maxAgeMs,
      maxSkewMs: this.o.maxSkewMs ?? 300_000,
    });
    if (!r.ok) return r;
    if (acceptSender && !acceptSender(r.value.senderKey))
      return { ok: false, code: 'ERR_SEAL_WRONG_SENDER' };
    if (!this.replayGuard.check(r.value.body.messageId, r.value.body.timestampMs, now))
      return { ok: false, code: 'ERR_SEAL_REPLAY' };
    return r;
  }

  /**
   * Fetches everything waiting (page by page), opens each message, then acks the page so
   * the relay deletes it. Rejected mail (tampered, wrong sender, replay, stale) is acked
   * too: it can never become readable, and keeping it would only fill the quota.
   */
  async receive(
    m: OwnedMailbox,
    o: ReceiveOptions = {},
  ): Promise<{ messages: ReceivedMessage[]; rejected: RejectedMessage[] }> {
    const messages: ReceivedMessage[] = [];
    const rejected: RejectedMessage[] = [];
    const limit = o.max ?? Infinity;
    for (;;) {
      const want = Math.min(MAX_FETCH, limit - messages.length - rejected.length);
      if (want <= 0) break;
      const page = await this.fetchPage(m, want);
      for (const env of page.envelopes) {
        const r = this.open(m, env, o.acceptSender);
        if (r.ok) messages.push({ envelopeId: env.id, opened: r.value });
        else rejected.push({ envelopeId: env.id, code: r.code });
      }
      if (page.envelopes.length > 0)
        await this.ack(
          m,
          page.envelopes.map((e) => e.id),
        );
      o.onProgress?.(messages.length + rejected.length, page.remaining);
      if (page.remaining === 0 || page.envelopes.length === 0) break;
    }
    return { messages, rejected };
  }
}

/** True when a sender key is one of the given keys (constant-time per key). */
export function senderIn(keys: readonly Uint8Array[]): (k: Uint8Array) => boolean {
  return (k) => keys.some((x) => bytesEqual(x, k));
}
