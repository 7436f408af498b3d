/**
 * Posts (0x40) and world posts (0x41-0x45): the 1000-character and size limits, image
 * types, signing and opening, paging messages, and the Redis layout of world posts.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import {
  charCount,
  checkedPost,
  decodePost,
  decodeWorldListRequest,
  decodeWorldPostBody,
  decodeWorldPublish,
  encodePost,
  encodeWorldListRequest,
  encodeWorldPostBody,
  encodeWorldPublish,
  generateKeyPair,
  ImageType,
  imageTypeOf,
  initCrypto,
  MAX_POST_BYTES,
  MAX_POST_CHARS,
  openWorldPost,
  signWorldPost,
  worldDayOf,
  worldKeys,
  worldKeysFromExpiryKey,
  worldPostIdOf,
  WORLD_EXPIRY_SCAN_PATTERN,
  WORLD_KEY_PREFIX,
  WORLD_SCRIPTS,
  type Post,
} from '../src/index.js';
import { expectFail, expectOk, patch } from './fixtures.js';
import { SAMPLE_POST } from './fixtures-collective.js';

const SPEC = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8');
const PNG = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const text = (s: string): Post => ({
  author: 'alice',
  text: s,
  imageType: ImageType.None,
  image: new Uint8Array(),
});

describe('posts', () => {
  before(async () => {
    await initCrypto();
  });

  test('post - up to 1000 characters (not bytes), and no more', () => {
    expectOk(checkedPost(text('a'.repeat(MAX_POST_CHARS))));
    // 1000 four-byte characters are 4000 bytes and still one post
    const emoji = '\u{1F3FD}'.repeat(MAX_POST_CHARS);
    assert.equal(charCount(emoji), MAX_POST_CHARS);
    assert.equal(emoji.length, 2 * MAX_POST_CHARS);
    assert.deepEqual(expectOk(decodePost(expectOk(checkedPost(text(emoji))))).text, emoji);
    expectFail(checkedPost(text('a'.repeat(MAX_POST_CHARS + 1))), 'ERR_POST_TOO_LONG');
    assert.throws(() => encodePost(text('a'.repeat(MAX_POST_CHARS + 1))), RangeError);
  });

  test('post - one image, recognised by its signature; the whole post fits the largest envelope', () => {
    assert.equal(imageTypeOf(PNG), ImageType.Png);
    assert.equal(imageTypeOf(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0)), ImageType.Jpeg);
    assert.equal(imageTypeOf(new TextEncoder().encode('GIF89a....')), ImageType.Gif);
    assert.equal(imageTypeOf(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')), ImageType.Webp);
    assert.equal(imageTypeOf(new TextEncoder().encode('<svg>')), ImageType.None);
    const room = MAX_POST_BYTES - (4 + 1 + 5 + 2 + 2 + 1 + 4);
    const image = new Uint8Array(room);
    image.set(PNG);
    const fits = expectOk(
      checkedPost({ author: 'alice', text: 'hi', imageType: ImageType.Png, image }),
    );
    assert.equal(fits.length, MAX_POST_BYTES);
    expectFail(
      checkedPost({
        author: 'alice',
        text: 'hi',
        imageType: ImageType.Png,
        image: new Uint8Array(room + 1),
      }),
      'ERR_POST_TOO_LARGE',
    );
    expectFail(
      checkedPost({ author: 'alice', text: 'hi', imageType: ImageType.None, image: PNG }),
      'ERR_POST_IMAGE_TYPE',
    );
    expectFail(
      checkedPost({
        author: 'alice',
        text: 'hi',
        imageType: ImageType.Png,
        image: new Uint8Array(),
      }),
      'ERR_POST_IMAGE_TYPE',
    );
  });

  test('post - decoder rules: author name, strict UTF-8, image type, size', () => {
    const p = encodePost(SAMPLE_POST);
    const a = 5; // "alice"
    const t = new TextEncoder().encode(SAMPLE_POST.text).length;
    const table: [string, Uint8Array, string][] = [
      ['author length 2', patch(p, 4, 1, 2), 'ERR_WIRE_LENGTH'],
      ['author upper case', patch(p, 5, 1, 0x41), 'ERR_WIRE_FIELD'],
      ['text not UTF-8', patch(p, 7 + a, 1, 0xff), 'ERR_WIRE_FIELD'],
      ['text longer than 4000 bytes', patch(p, 5 + a, 2, 4001), 'ERR_WIRE_LENGTH'],
      ['image type 5', patch(p, 7 + a + t, 1, 5), 'ERR_WIRE_FIELD'],
      ['image type none with an image', patch(p, 7 + a + t, 1, 0), 'ERR_WIRE_FIELD'],
    ];
    for (const [what, bytes, code] of table) expectFail(decodePost(bytes), code as never, what);
    const noAuthor = encodePost({ ...SAMPLE_POST, author: undefined });
    assert.equal(expectOk(decodePost(noAuthor)).author, undefined);
  });

  test('world post - signed by its author, readable by anyone, id bound to key and body', () => {
    const alice = generateKeyPair();
    const body = {
      relay: 'test',
      timestampMs: 1_795_000_000_000,
      nonce: new Uint8Array(16).fill(7),
      ttlSec: 3 * 86_400,
      post: SAMPLE_POST,
    };
    const wp = expectOk(signWorldPost(alice, body));
    assert.deepEqual(expectOk(openWorldPost(wp)), body);
    expectFail(
      openWorldPost({ ...wp, authorKey: generateKeyPair().publicKey }),
      'ERR_CRYPTO_SIGNATURE',
    );
    const id = worldPostIdOf(wp);
    assert.equal(id.length, 16);
    assert.notDeepEqual(worldPostIdOf({ ...wp, authorKey: generateKeyPair().publicKey }), id);
    const published = encodeWorldPublish({ postage: new Uint8Array(8), post: wp });
    assert.deepEqual(expectOk(decodeWorldPublish(published)).post, wp);
    // a zero lifetime is refused
    const raw = encodeWorldPostBody(body);
    expectFail(decodeWorldPostBody(patch(raw, 4 + 1 + 4 + 8 + 16, 4, 0)), 'ERR_WIRE_FIELD');
  });

  test('world list - max is 1 to 100', () => {
    const req = encodeWorldListRequest({ beforeMs: 0, beforeId: new Uint8Array(16), max: 100 });
    expectOk(decodeWorldListRequest(req));
    expectFail(decodeWorldListRequest(patch(req, 28, 2, 0)), 'ERR_WIRE_FIELD');
    expectFail(decodeWorldListRequest(patch(req, 28, 2, 101)), 'ERR_WIRE_FIELD');
  });

  test('world layout - one hash tag per UTC day; keys, sweep pattern and scripts are documented', () => {
    assert.equal(WORLD_KEY_PREFIX, 'km:wp:');
    const day = worldDayOf(Date.UTC(2026, 10, 22, 23, 59));
    assert.equal(day, worldDayOf(Date.UTC(2026, 10, 22, 0, 0)));
    assert.equal(day + 1, worldDayOf(Date.UTC(2026, 10, 23, 0, 0)));
    assert.deepEqual(worldKeys(day), {
      msgs: `km:wp:{d${day}}:msg`,
      order: `km:wp:{d${day}}:seq`,
      expiry: `km:wp:{d${day}}:exp`,
    });
    assert.deepEqual(worldKeysFromExpiryKey(worldKeys(day).expiry), worldKeys(day));
    assert.equal(worldKeysFromExpiryKey('km:mb:{00}:exp'), undefined);
    assert.equal(WORLD_EXPIRY_SCAN_PATTERN, 'km:wp:*:exp');
    for (const s of ['`km:wp:{d<day>}:msg`', '`km:wp:{d<day>}:seq`', '`km:wp:{d<day>}:exp`'])
      assert.ok(SPEC.includes(s), s);
    for (const name of Object.keys(WORLD_SCRIPTS))
      assert.ok(SPEC.includes(`| world \`${name}\``), `script ${name} in SPEC`);
    for (const lua of Object.values(WORLD_SCRIPTS)) assert.match(lua, /PEXPIREAT|DEL|HGET/);
  });
});
