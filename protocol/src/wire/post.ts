import { sha256 } from '@noble/hashes/sha2.js';
import { isCanonicalName, NAME_MAX, NAME_MIN } from '../names.js';
import { fail, ok, type Result } from '../result.js';
import {
  isRelayName,
  MESSAGE_ID_SIZE,
  PUBLIC_KEY_SIZE,
  readRelay,
  RELAY_NAME_MAX,
} from './address.js';
import { decodeWith } from './decode.js';
import { POSTAGE_SIZE } from './envelope.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** A post has at most this many characters (Unicode code points), as in the original. */
export const MAX_POST_CHARS = 1000;
/** ...which is at most this many UTF-8 bytes. */
export const MAX_POST_TEXT_BYTES = 4 * MAX_POST_CHARS;
/**
 * Largest encoded Post, image included: it must fit the content of the largest envelope
 * bucket for any relay name (65536 - 188 - 63 = 65285 bytes, SPEC section 8).
 */
export const MAX_POST_BYTES = 65_280;
/** Largest signed world post body (a post plus its 106 bytes of framing and signature). */
export const MAX_SIGNED_WORLD_POST = MAX_POST_BYTES + 256;
/** Most world posts one list page returns. */
export const MAX_WORLD_PAGE = 100;
/** Lifetime of a world post when its author chooses none: 7 days. */
export const WORLD_DEFAULT_TTL_SEC = 7 * 86_400;
/**
 * Postage for a world post or a collective post is this many bits harder than mail at the
 * same moment: one world post is stored for days and read by everyone, one collective
 * post becomes a write per member.
 */
export const POST_EXTRA_BITS = 4;
/** How far a world post's timestamp may be from the relay clock when published. */
export const WORLD_CLOCK_WINDOW_MS = 10 * 60_000;

/** The image format inside a post, recognised from its first bytes (see imageTypeOf). */
export const ImageType = Object.freeze({ None: 0, Png: 1, Jpeg: 2, Gif: 3, Webp: 4 });
export type ImageType = (typeof ImageType)[keyof typeof ImageType];
const IMAGE_TYPES: ReadonlySet<number> = new Set(Object.values(ImageType));

const enc = new TextEncoder();
// strict UTF-8 that keeps a leading BOM, so decode then encode gives the same bytes
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The format of image bytes by their signature, or None when not PNG, JPEG, GIF or WebP. */
export function imageTypeOf(b: Uint8Array): ImageType {
  const at = (i: number): number => b[i] ?? -1;
  const ascii = (i: number, s: string): boolean => {
    for (let j = 0; j < s.length; j++) if (at(i + j) !== s.charCodeAt(j)) return false;
    return true;
  };
  if (at(0) === 0x89 && ascii(1, 'PNG\r\n\u001a\n')) return ImageType.Png;
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return ImageType.Jpeg;
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return ImageType.Gif;
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return ImageType.Webp;
  return ImageType.None;
}

/** Longest author claim: a name, `@` and a relay name. */
export const AUTHOR_MAX = NAME_MAX + 1 + RELAY_NAME_MAX;

/** A canonical name, or `name@relay` (a komrade of another relay). */
export function isAuthor(s: string): boolean {
  const at = s.indexOf('@');
  if (at < 0) return isCanonicalName(s);
  return isCanonicalName(s.slice(0, at)) && isRelayName(s.slice(at + 1));
}

/** A post: text, at most one image, and the author's name as they claim it. */
export interface Post {
  /**
   * The author's registered name, as claimed; readers check it against the directory
   * (the name must belong to the key that signed the post). `name@relay` when the author's
   * home relay is not the relay the post lives on (a collective of a peer relay, SPEC.md
   * section 20.9). Undefined: no claim.
   */
  readonly author: string | undefined;
  /** At most 1000 characters. */
  readonly text: string;
  readonly imageType: ImageType;
  /** Empty exactly when imageType is None. */
  readonly image: Uint8Array;
}

/** Unicode code points in a string (a surrogate pair is one). */
export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/*
 * Post (type 0x40), the content of a ContentKind.Post mail and of a world post:
 * +--------+----------------------------------------+--------------------------------+
 * | header | author (u8 len: 0 or 3-96 + name[@relay]) | text (u16 len + UTF-8, <=4000) |
 * +--------+-------------------------------------------+--------------------------------+
 * | image type u8 (0 none, 1 PNG, 2 JPEG, 3 GIF, 4 WebP) | image (u32 len + bytes)    |
 * +-----------------------------------------------------+-----------------------------+
 * The text has at most 1000 code points; the image is empty iff its type is 0; the whole
 * post is at most MAX_POST_BYTES (65280).
 */
export function encodePost(p: Post): Uint8Array {
  const checked = checkedPost(p);
  if (!checked.ok) throw new RangeError(checked.code);
  return checked.value;
}

/**
 * Encodes a post, answering the limits as typed errors: ERR_POST_TOO_LONG (over 1000
 * characters), ERR_POST_TOO_LARGE (over MAX_POST_BYTES with its image),
 * ERR_POST_IMAGE_TYPE (an image type that does not match, or no image for a type).
 */
export function checkedPost(p: Post): Result<Uint8Array> {
  if (p.author !== undefined && !isAuthor(p.author)) return fail('ERR_NAME_INVALID');
  const text = enc.encode(p.text);
  if (charCount(p.text) > MAX_POST_CHARS || text.length > MAX_POST_TEXT_BYTES)
    return fail('ERR_POST_TOO_LONG');
  if (!IMAGE_TYPES.has(p.imageType)) return fail('ERR_POST_IMAGE_TYPE');
  if ((p.imageType === ImageType.None) !== (p.image.length === 0))
    return fail('ERR_POST_IMAGE_TYPE');
  const size = 4 + 1 + (p.author?.length ?? 0) + 2 + text.length + 1 + 4 + p.image.length;
  if (size > MAX_POST_BYTES) return fail('ERR_POST_TOO_LARGE');
  const w = new Writer(size);
  writeHeader(w, MessageType.Post);
  w.bytesU8(enc.encode(p.author ?? ''));
  w.bytesU16(text).u8(p.imageType).bytesU32(p.image);
  return ok(w.finish());
}

export function decodePost(bytes: Uint8Array): Result<Post> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.Post);
    const rawName = r.bytesU8(0, AUTHOR_MAX, 'author');
    let author: string | undefined;
    if (rawName.length > 0) {
      if (rawName.length < NAME_MIN) throw new WireError('ERR_WIRE_LENGTH', 'author');
      author = String.fromCharCode(...rawName);
      if (!isAuthor(author)) throw new WireError('ERR_WIRE_FIELD', 'author');
    }
    const rawText = r.bytesU16(0, MAX_POST_TEXT_BYTES, 'text');
    let text: string;
    try {
      text = utf8.decode(rawText);
    } catch {
      throw new WireError('ERR_WIRE_FIELD', 'text');
    }
    if (charCount(text) > MAX_POST_CHARS) throw new WireError('ERR_WIRE_FIELD', 'text');
    const imageType = r.u8('image type');
    if (!IMAGE_TYPES.has(imageType)) throw new WireError('ERR_WIRE_FIELD', 'image type');
    const image = r.bytesU32(0, MAX_POST_BYTES, 'image');
    if ((imageType === ImageType.None) !== (image.length === 0))
      throw new WireError('ERR_WIRE_FIELD', 'image');
    if (r.position > MAX_POST_BYTES) throw new WireError('ERR_WIRE_LENGTH', 'post size');
    return { author, text, imageType: imageType as ImageType, image };
  });
}

// ---------------------------------------------------------------------------------------
// World posts

/** What a world post's author signs. */
export interface WorldPostBody {
  /** The relay it is published on (a post signed for one relay is void on another). */
  readonly relay: string;
  /** Author's clock, Unix milliseconds; within 10 minutes of the relay clock on publishing. */
  readonly timestampMs: number;
  /** 16 random bytes, so that two equal posts are two posts. */
  readonly nonce: Uint8Array;
  /** Author-chosen lifetime in seconds (at least 1; the relay has a maximum). */
  readonly ttlSec: number;
  readonly post: Post;
}

/*
 * WorldPostBody (type 0x42), signed by the author's identity key:
 * +--------+--------------------+---------------+------------+-------------+------------------------------+
 * | header | relay (u8 + ASCII) | timestamp u64 | nonce (16) | ttl sec u32 | post (u32 len + Post bytes)  |
 * +--------+--------------------+---------------+------------+-------------+------------------------------+
 * ttl is at least 1; the post is a complete Post (its own code on failure).
 */
export function encodeWorldPostBody(m: WorldPostBody): Uint8Array {
  if (m.nonce.length !== 16) throw new RangeError('nonce must be 16 bytes');
  if (!Number.isInteger(m.ttlSec) || m.ttlSec < 1 || m.ttlSec > 0xffffffff)
    throw new RangeError('ttl');
  const post = encodePost(m.post);
  const w = new Writer(64 + post.length);
  writeHeader(w, MessageType.WorldPostBody);
  w.bytesU8(enc.encode(m.relay)).u64(m.timestampMs).bytes(m.nonce).u32(m.ttlSec).bytesU32(post);
  return w.finish();
}

export function decodeWorldPostBody(bytes: Uint8Array): Result<WorldPostBody> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.WorldPostBody);
    const relay = readRelay(r);
    const timestampMs = r.u64('timestamp');
    const nonce = r.bytesFixed(16, 'nonce');
    const ttlSec = r.u32('ttl');
    if (ttlSec < 1) throw new WireError('ERR_WIRE_FIELD', 'ttl');
    const post = decodePost(r.bytesU32(1, MAX_POST_BYTES, 'post'));
    if (!post.ok) throw new WireError(post.code, 'post');
    return { relay, timestampMs, nonce, ttlSec, post: post.value };
  });
}

/** A world post as stored and listed: the signed body and the key to check it with. */
export interface WorldPost {
  readonly authorKey: Uint8Array;
  /** Themis Secure Message signed form of a WorldPostBody. */
  readonly signed: Uint8Array;
}

/*
 * WorldPost (type 0x41):
 * +--------+------------------------------+---------------------------------------------+
 * | header | author key (u8 len=45 + key) | signed body (u32 len + bytes, 1-65536)      |
 * +--------+------------------------------+---------------------------------------------+
 * World posts are signed, not encrypted: anyone may read them.
 */
export function encodeWorldPost(m: WorldPost): Uint8Array {
  if (m.authorKey.length !== PUBLIC_KEY_SIZE) throw new RangeError('author key must be 45 bytes');
  if (m.signed.length < 1 || m.signed.length > MAX_SIGNED_WORLD_POST)
    throw new RangeError('signed body size');
  const w = new Writer(56 + m.signed.length);
  writeHeader(w, MessageType.WorldPost);
  w.bytesU8(m.authorKey).bytesU32(m.signed);
  return w.finish();
}

export function decodeWorldPost(bytes: Uint8Array): Result<WorldPost> {
  return decodeWith(bytes, readWorldPost);
}

function readWorldPost(r: Reader): WorldPost {
  readHeader(r, MessageType.WorldPost);
  const authorKey = r.bytesU8(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE, 'author key');
  const signed = r.bytesU32(1, MAX_SIGNED_WORLD_POST, 'signed body');
  return { authorKey, signed };
}

const WORLD_DOMAIN = enc.encode('KM-WORLD-1');

/**
 * A world post's id (idempotency, paging, and what its postage is bound to): the first
 * 16 bytes of SHA-256("KM-WORLD-1" || author key || signed body).
 */
export function worldPostIdOf(m: WorldPost): Uint8Array {
  return sha256
    .create()
    .update(WORLD_DOMAIN)
    .update(m.authorKey)
    .update(m.signed)
    .digest()
    .slice(0, MESSAGE_ID_SIZE);
}

/** Publishing a world post: the post and proof-of-work postage over its id. */
export interface WorldPublish {
  readonly postage: Uint8Array;
  readonly post: WorldPost;
}

/*
 * WorldPublish (type 0x43), client -> operator (POST /v1/world/publish):
 * +--------+-------------+------------------------------------------+
 * | header | postage (8) | world post (u32 len + WorldPost bytes)   |
 * +--------+-------------+------------------------------------------+
 */
export function encodeWorldPublish(m: WorldPublish): Uint8Array {
  if (m.postage.length !== POSTAGE_SIZE) throw new RangeError('postage must be 8 bytes');
  const post = encodeWorldPost(m.post);
  const w = new Writer(16 + post.length);
  writeHeader(w, MessageType.WorldPublish);
  w.bytes(m.postage).bytesU32(post);
  return w.finish();
}

export function decodeWorldPublish(bytes: Uint8Array): Result<WorldPublish> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.WorldPublish);
    const postage = r.bytesFixed(POSTAGE_SIZE, 'postage');
    const post = decodeWorldPost(r.bytesU32(1, MAX_SIGNED_WORLD_POST + 64, 'world post'));
    if (!post.ok) throw new WireError(post.code, 'world post');
    return { postage, post: post.value };
  });
}

/** One page of world posts, newest first, strictly older than the cursor. */
export interface WorldListRequest {
  /** Timestamp of the last post already seen, Unix ms; 0 for the newest page. */
  readonly beforeMs: number;
  /** Id of that post (ties of the same millisecond are ordered by id); zeros with 0. */
  readonly beforeId: Uint8Array;
  /** 1 to 100. */
  readonly max: number;
}

/*
 * WorldListRequest (type 0x44):
 * +--------+---------------+-----------------+-----------------+
 * | header | before ms u64 | before id (16)  | max u16 (1-100) |
 * +--------+---------------+-----------------+-----------------+
 */
export function encodeWorldListRequest(m: WorldListRequest): Uint8Array {
  if (m.beforeId.length !== MESSAGE_ID_SIZE) throw new RangeError('before id must be 16 bytes');
  if (!Number.isInteger(m.max) || m.max < 1 || m.max > MAX_WORLD_PAGE) throw new RangeError('max');
  const w = new Writer(32);
  writeHeader(w, MessageType.WorldListRequest);
  w.u64(m.beforeMs).bytes(m.beforeId).u16(m.max);
  return w.finish();
}

export function decodeWorldListRequest(bytes: Uint8Array): Result<WorldListRequest> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.WorldListRequest);
    const beforeMs = r.u64('before');
    const beforeId = r.bytesFixed(MESSAGE_ID_SIZE, 'before id');
    const max = r.u16('max');
    if (max < 1 || max > MAX_WORLD_PAGE) throw new WireError('ERR_WIRE_FIELD', 'max');
    return { beforeMs, beforeId, max };
  });
}

/** A page of world posts; `more` when older posts remain. */
export interface WorldListResponse {
  readonly more: boolean;
  readonly posts: readonly WorldPost[];
}

/*
 * WorldListResponse (type 0x45):
 * +--------+---------+-----------------+---------------------------------------------+
 * | header | more u8 | count u16 (<=100) | count x (u32 len + WorldPost bytes)       |
 * +--------+---------+-----------------+---------------------------------------------+
 * `more` is 0 or 1. Posts are newest first; each is a complete WorldPost.
 */
export function encodeWorldListResponse(m: WorldListResponse): Uint8Array {
  if (m.posts.length > MAX_WORLD_PAGE) throw new RangeError('too many posts');
  const parts = m.posts.map(encodeWorldPost);
  const w = new Writer(8 + parts.reduce((s, p) => s + p.length + 4, 0));
  writeHeader(w, MessageType.WorldListResponse);
  w.u8(m.more ? 1 : 0).u16(parts.length);
  for (const p of parts) w.bytesU32(p);
  return w.finish();
}

export function decodeWorldListResponse(bytes: Uint8Array): Result<WorldListResponse> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.WorldListResponse);
    const more = r.u8('more');
    if (more > 1) throw new WireError('ERR_WIRE_FIELD', 'more');
    const n = r.u16('count');
    if (n > MAX_WORLD_PAGE) throw new WireError('ERR_WIRE_LENGTH', 'count');
    const posts: WorldPost[] = [];
    for (let i = 0; i < n; i++) {
      const p = decodeWorldPost(r.bytesU32(1, MAX_SIGNED_WORLD_POST + 64, 'post'));
      if (!p.ok) throw new WireError(p.code, 'post');
      posts.push(p.value);
    }
    return { more: more === 1, posts };
  });
}
