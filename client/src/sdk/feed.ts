import { ContentKind, KomradeError, type ImageType } from '@komrade/protocol';
import { Collectives, type CollectiveSyncReport } from './collectives.js';
import type { KomradeClient } from './komrade-client.js';
import type { Komrade, SyncReport } from './komrade.js';
import {
  listWorldPosts,
  nameChecker,
  postContent,
  publishWorldPost,
  type FeedItem,
  type PostInput,
} from './posts.js';

export interface FeedOptions {
  readonly komrade: Komrade;
  /** Makes the account durable (the keystore save). */
  readonly persist: () => Promise<void>;
  readonly now?: () => number;
}

/** A feed and what reading it did. */
export interface FeedReport {
  /** Newest first. */
  readonly items: FeedItem[];
  /** World posts that failed their checks (signature, relay, expiry, author name). */
  readonly worldRejected: number;
  readonly contacts: SyncReport;
  readonly collectives: CollectiveSyncReport;
}

/**
 * Posting to the world, to friends and to collectives, and the feed that shows all
 * three, newest first, every author checked (SPEC.md section 21).
 */
export class Feed {
  readonly collectives: Collectives;
  private readonly komrade: Komrade;
  private readonly client: KomradeClient;
  private readonly persist: () => Promise<void>;
  private readonly now: () => number;

  constructor(o: FeedOptions) {
    this.komrade = o.komrade;
    this.client = o.komrade.relayClient;
    this.persist = o.persist;
    this.now = o.now ?? Date.now;
    this.collectives = new Collectives({
      client: this.client,
      account: o.komrade.account,
      persist: o.persist,
      now: this.now,
    });
  }

  private author(): string {
    const name = this.komrade.account.name;
    if (name === undefined) throw new KomradeError('ERR_KEYSTORE_UNNAMED');
    return name;
  }

  /** A world post: signed, readable by any komrade, gone after `ttlSec` (default 7 days). */
  postWorld(input: PostInput, ttlSec?: number) {
    return publishWorldPost(this.client, this.komrade.account.identity, this.author(), input, {
      ...(ttlSec !== undefined ? { ttlSec } : {}),
      now: this.now,
    });
  }

  /**
   * A friends post: one envelope per established contact, each sealed to that contact's
   * mailbox. Resolves with how many contacts it went to (0 when there are none).
   */
  async postFriends(input: PostInput, ttlSec?: number): Promise<number> {
    const content = postContent(this.author(), input);
    const to = this.komrade.account.contacts.flatMap((c) =>
      c.state === 'established' && c.theirs ? [c.theirs] : [],
    );
    if (to.length === 0) return 0;
    await this.client.send(
      this.komrade.account.identity,
      to.map((t) => ({
        to: t,
        kind: ContentKind.Post,
        content,
        ...(ttlSec !== undefined ? { ttlSec } : {}),
      })),
    );
    return to.length;
  }

  /** A post to a collective this account is a member of (one request for all members). */
  postCollective(name: string, input: PostInput, ttlSec?: number): Promise<Uint8Array> {
    return this.collectives.post(name, input, ttlSec);
  }

  /**
   * Fetches contact and collective mailboxes (keeping the posts in the account), drops
   * what has expired, lists the world's posts, and answers everything newest first.
   */
  async read(o: { readonly world?: boolean; readonly limit?: number } = {}): Promise<FeedReport> {
    const contacts = await this.komrade.syncContacts();
    const collectives = await this.collectives.sync();
    const now = this.now();
    const account = this.komrade.account;
    const before = account.posts.length;
    account.posts = account.posts.filter((p) => p.expiresAtMs > now);
    if (account.posts.length !== before) await this.persist();
    const kept: FeedItem[] = account.posts.map((p) => ({
      source: p.source,
      author: p.author,
      text: p.text,
      imageType: p.imageType as ImageType,
      image: p.image,
      sentAtMs: p.sentAtMs,
      expiresAtMs: p.expiresAtMs,
      id: p.id,
    }));
    const world =
      o.world === false
        ? { items: [], rejected: 0 }
        : await listWorldPosts(this.client, nameChecker(this.client), {
            now: this.now,
            ...(o.limit !== undefined ? { max: o.limit } : {}),
          });
    const items = [...kept, ...world.items].sort(
      (a, b) => b.sentAtMs - a.sentAtMs || a.id.localeCompare(b.id),
    );
    return {
      items: o.limit !== undefined ? items.slice(0, o.limit) : items,
      worldRejected: world.rejected,
      contacts,
      collectives,
    };
  }
}
