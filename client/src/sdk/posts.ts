import {
  bytesEqual,
  checkedPost,
  decodeAccepted,
  decodePost,
  decodeWorldListResponse,
  encodeWorldListRequest,
  encodeWorldPublish,
  ImageType,
  imageTypeOf,
  KomradeError,
  MAX_WORLD_PAGE,
  openWorldPost,
  POST_EXTRA_BITS,
  signWorldPost,
  toHex,
  WORLD_DEFAULT_TTL_SEC,
  worldPostIdOf,
  type KeyPair,
  type OpenedMail,
  type Post,
} from '@komrade/protocol';
import type { AccountState, StoredPost } from './account.js';
import type { KomradeClient } from './komrade-client.js';
import { randomBytes } from './random.js';

/** What a komrade posts: at most 1000 characters and one image (PNG, JPEG, GIF or WebP). */
export interface PostInput {
  readonly text: string;
  readonly image?: Uint8Array;
}

/** One post in a feed, its author checked. */
export interface FeedItem {
  /** `world`, `friends`, or the collective as `@name`. */
  readonly source: string;
  /** The author's name: the contact, or the directory's owner of the signing key. */
  readonly author: string;
  readonly text: string;
  readonly imageType: ImageType;
  readonly image: Uint8Array;
  /** The author's clock. */
  readonly sentAtMs: number;
  readonly expiresAtMs: number;
  /** Post or message id, hex. */
  readonly id: string;
}

/** Mail lives at most this long: a friends post is kept no longer. */
const MAIL_LIFETIME_MS = 7 * 86_400_000;

/**
 * A post as it travels, checked against the limits: ERR_POST_TOO_LONG (over 1000
 * characters), ERR_POST_IMAGE_TYPE (not PNG, JPEG, GIF or WebP), ERR_POST_TOO_LARGE
 * (the whole post over MAX_POST_BYTES).
 */
export function makePost(author: string | undefined, input: PostInput): Post {
  const image = input.image ?? new Uint8Array();
  const imageType = image.length > 0 ? imageTypeOf(image) : ImageType.None;
  if (image.length > 0 && imageType === ImageType.None)
    throw new KomradeError('ERR_POST_IMAGE_TYPE');
  const post: Post = { author, text: input.text, imageType, image };
  const checked = checkedPost(post);
  if (!checked.ok) throw new KomradeError(checked.code);
  return post;
}

/** The encoded Post, for sealing into mail (ContentKind.Post). */
export function postContent(author: string | undefined, input: PostInput): Uint8Array {
  const checked = checkedPost(makePost(author, input));
  if (!checked.ok) throw new KomradeError(checked.code);
  return checked.value;
}

/**
 * Keeps a post that arrived in sealed mail whose sender is already proven (a contact, or
 * a current member); `author` is that proven name. Undefined when kept, else why not.
 */
export function keepPost(
  account: AccountState,
  source: string,
  author: string,
  mail: OpenedMail,
  expiresAtMs: number,
): 'ERR_WIRE_FIELD' | undefined {
  const p = decodePost(mail.body.content);
  if (!p.ok) return 'ERR_WIRE_FIELD';
  const id = toHex(mail.body.messageId);
  if (account.posts.some((x) => x.id === id)) return undefined;
  const stored: StoredPost = {
    source,
    author,
    text: p.value.text,
    imageType: p.value.imageType,
    image: p.value.image,
    sentAtMs: mail.body.timestampMs,
    expiresAtMs,
    id,
  };
  account.posts.push(stored);
  return undefined;
}

/** A friends post's expiry: mail lives at most 7 days after it was sent. */
export function friendsPostExpiry(mail: OpenedMail): number {
  return mail.body.timestampMs + MAIL_LIFETIME_MS;
}

/**
 * Checks that a claimed name belongs to a key in the directory; answers are cached for
 * the life of the checker (one feed run). Unknown names and other keys are false.
 */
export function nameChecker(
  client: KomradeClient,
): (name: string, key: Uint8Array) => Promise<boolean> {
  const cache = new Map<string, Uint8Array | null>();
  return async (name, key) => {
    let k = cache.get(name);
    if (k === undefined) {
      try {
        // `name`, or `name@relay` for a komrade of a peer relay
        const at = name.indexOf('@');
        k = (
          at < 0
            ? await client.lookupName(name)
            : await client.lookupName(name.slice(0, at), name.slice(at + 1))
        ).identityKey;
      } catch (e) {
        if (!(e instanceof KomradeError) || e.retryable) throw e;
        k = null;
      }
      cache.set(name, k);
    }
    return k !== null && bytesEqual(k, key);
  };
}

/**
 * Publishes a world post: signed by the author (never encrypted: anyone may read it),
 * with the author's name for readers to check, a lifetime (default 7 days, at most the
 * relay's maximum) and postage at the relay's difficulty plus POST_EXTRA_BITS.
 */
export async function publishWorldPost(
  client: KomradeClient,
  identity: KeyPair,
  author: string,
  input: PostInput,
  o: { readonly ttlSec?: number; readonly now?: () => number } = {},
): Promise<{ readonly id: Uint8Array; readonly expiresAtMs: number }> {
  const info = await client.relayInfo();
  const ttlSec = o.ttlSec ?? WORLD_DEFAULT_TTL_SEC;
  const max = info.worldMaxTtlSec ?? WORLD_DEFAULT_TTL_SEC;
  if (!Number.isInteger(ttlSec) || ttlSec < 1 || ttlSec > max)
    throw new KomradeError('ERR_EXPIRY_INVALID');
  const timestampMs = (o.now ?? Date.now)();
  const signed = signWorldPost(identity, {
    relay: info.relay,
    timestampMs,
    nonce: randomBytes(16),
    ttlSec,
    post: makePost(author, input),
  });
  if (!signed.ok) throw new KomradeError(signed.code);
  const post = signed.value;
  const id = worldPostIdOf(post);
  const body = await client.postWithPostage('/v1/world/publish', id, POST_EXTRA_BITS, (postage) =>
    encodeWorldPublish({ postage, post }),
  );
  const ids = decodeAccepted(body);
  if (!ids.ok || ids.value.length !== 1 || !bytesEqual(ids.value[0] ?? new Uint8Array(), id))
    throw new KomradeError('ERR_CLIENT_PROTOCOL');
  return { id, expiresAtMs: timestampMs + ttlSec * 1000 };
}

/**
 * Lists world posts, newest first, page by page, and keeps only those that check out:
 * a valid signature, this relay, not expired, and an author name the directory binds to
 * the signing key. `rejected` counts the others.
 */
export async function listWorldPosts(
  client: KomradeClient,
  checkName: (name: string, key: Uint8Array) => Promise<boolean>,
  o: { readonly max?: number; readonly now?: () => number } = {},
): Promise<{ items: FeedItem[]; rejected: number }> {
  const info = await client.relayInfo();
  const now = (o.now ?? Date.now)();
  const want = o.max ?? 200;
  const items: FeedItem[] = [];
  let rejected = 0;
  let beforeMs = 0;
  let beforeId: Uint8Array = new Uint8Array(16);
  for (;;) {
    const page = decodeWorldListResponse(
      await client.query(
        '/v1/world/list',
        encodeWorldListRequest({ beforeMs, beforeId, max: MAX_WORLD_PAGE }),
      ),
    );
    if (!page.ok) throw new KomradeError('ERR_CLIENT_PROTOCOL');
    const cursor = `${beforeMs}:${toHex(beforeId)}`;
    for (const wp of page.value.posts) {
      const body = openWorldPost(wp);
      const b = body.ok ? body.value : undefined;
      if (b) {
        beforeMs = b.timestampMs;
        beforeId = worldPostIdOf(wp);
      }
      const expiresAtMs = b ? b.timestampMs + b.ttlSec * 1000 : 0;
      if (
        !b ||
        b.relay !== info.relay ||
        expiresAtMs <= now ||
        b.post.author === undefined ||
        !(await checkName(b.post.author, wp.authorKey))
      ) {
        rejected++;
        continue;
      }
      items.push({
        source: 'world',
        author: b.post.author,
        text: b.post.text,
        imageType: b.post.imageType,
        image: b.post.image,
        sentAtMs: b.timestampMs,
        expiresAtMs,
        id: toHex(worldPostIdOf(wp)),
      });
    }
    // a page whose posts all failed to open gives no cursor: stop rather than loop
    if (!page.value.more || items.length >= want || `${beforeMs}:${toHex(beforeId)}` === cursor)
      break;
  }
  return { items: items.slice(0, want), rejected };
}
