import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageType, KomradeError, MAX_POST_BYTES } from '@komrade/protocol';
import { Feed } from '../../sdk/feed.js';
import type { FeedItem, PostInput } from '../../sdk/posts.js';
import { safeText } from '../io.js';
import { iso, when, type Output } from '../output.js';
import type { CliSession } from '../session.js';

const UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** `3d`, `12h`, `30m`, `45s` or plain seconds; undefined when it is none of these. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,7})\s*([smhd]?)$/.exec(text.trim());
  if (!m?.[1]) return undefined;
  const sec = Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1);
  return sec >= 1 ? sec : undefined;
}

const EXT: Readonly<Record<number, string>> = {
  [ImageType.Png]: 'png',
  [ImageType.Jpeg]: 'jpg',
  [ImageType.Gif]: 'gif',
  [ImageType.Webp]: 'webp',
};

/** The --image file (its existence is checked when the options are parsed). */
async function readImage(path: string): Promise<Uint8Array> {
  const st = await stat(path);
  if (!st.isFile()) throw new KomradeError('ERR_POST_IMAGE_TYPE');
  // never read a huge file just to refuse it
  if (st.size > MAX_POST_BYTES) throw new KomradeError('ERR_POST_TOO_LARGE');
  return new Uint8Array(await readFile(path));
}

/**
 * `post <text...> [--to world|friends|@collective] [--image FILE] [--ttl 3d]`: a world
 * post (signed, readable by anyone, gone after its lifetime), a post sealed to each
 * contact, or one post to a collective's members.
 */
export async function post(
  s: CliSession,
  words: readonly string[],
  o: { readonly to?: string; readonly image?: string; readonly ttl?: number },
): Promise<Output> {
  const input: PostInput = {
    text: words.join(' '),
    ...(o.image !== undefined ? { image: await readImage(o.image) } : {}),
  };
  const to = (o.to ?? 'world').trim();
  return s.withAccount(async (k, ks) => {
    const feed = new Feed({ komrade: k, persist: () => ks.save() });
    /** Mail lives at most the relay's maximum: say so when --ttl asked for more. */
    const capped = async (): Promise<string[]> => {
      if (o.ttl === undefined) return [];
      const max = (await k.relayClient.relayInfo()).maxTtlSec;
      return o.ttl > max
        ? [
            `Its lifetime is capped by the relay's limit for mail: gone by ${when(Date.now() + max * 1000)}.`,
          ]
        : [];
    };
    if (to === 'world') {
      const r = await s.progress.step('Posting to the world', () => feed.postWorld(input, o.ttl));
      return {
        human: [`Posted to the world; it is gone from the relay at ${when(r.expiresAtMs)}.`],
        json: { to: 'world', expiresAt: iso(r.expiresAtMs) },
      };
    }
    if (to === 'friends') {
      const n = await s.progress.step('Posting to your contacts', () =>
        feed.postFriends(input, o.ttl),
      );
      return {
        human: [
          n === 0
            ? 'You have no contacts yet, so nobody received it: komrade meet <name>'
            : `Posted to ${n} contact(s).`,
          ...(n === 0 ? [] : await capped()),
        ],
        json: { to: 'friends', contacts: n },
      };
    }
    const c = feed.collectives.collective(to).handle;
    await s.progress.step(`Posting to @${c}`, () => feed.postCollective(c, input, o.ttl));
    return {
      human: [
        `Posted to @${c}: the relay copies it into every member's mailbox.`,
        ...(await capped()),
      ],
      json: { to: `@${c}`, sent: true },
    };
  });
}

function itemJson(p: FeedItem, imagePath?: string): Record<string, unknown> {
  return {
    source: p.source,
    author: p.author,
    text: p.text,
    sentAt: iso(p.sentAtMs),
    expiresAt: iso(p.expiresAtMs),
    id: p.id,
    ...(p.imageType !== ImageType.None
      ? {
          image: {
            type: EXT[p.imageType],
            bytes: p.image.length,
            ...(imagePath ? { path: imagePath } : {}),
          },
        }
      : {}),
  };
}

/**
 * `feed [--no-world] [--limit N] [--images DIR]`: world, friends and collective posts,
 * newest first, every author checked (contacts by their key, others by the directory).
 */
export function feed(
  s: CliSession,
  o: { readonly world: boolean; readonly limit?: number; readonly images?: string },
): Promise<Output> {
  return s.withAccount(async (k, ks) => {
    const f = new Feed({ komrade: k, persist: () => ks.save() });
    const r = await s.progress.step('Fetching posts', () =>
      f.read({ world: o.world, ...(o.limit !== undefined ? { limit: o.limit } : {}) }),
    );
    const paths = new Map<string, string>();
    if (o.images !== undefined) {
      await mkdir(o.images, { recursive: true });
      for (const p of r.items.filter((x) => x.imageType !== ImageType.None)) {
        const path = join(o.images, `${p.id}.${EXT[p.imageType] ?? 'bin'}`);
        await writeFile(path, p.image);
        paths.set(p.id, path);
      }
    }
    const human =
      r.items.length === 0
        ? ['No posts yet.']
        : r.items.map((p) => {
            const img =
              p.imageType === ImageType.None
                ? ''
                : `  [image: ${Math.ceil(p.image.length / 1024)} KB ${EXT[p.imageType] ?? ''}${paths.has(p.id) ? ` saved to ${paths.get(p.id) ?? ''}` : ''}]`;
            return `[${when(p.sentAtMs)}] ${p.source} @${p.author}: ${safeText(p.text)}${img}`;
          });
    const dropped = r.worldRejected + r.collectives.rejected.length;
    if (dropped > 0) human.push(`${dropped} post(s) failed their checks and were dropped.`);
    return {
      human,
      json: {
        posts: r.items.map((p) => itemJson(p, paths.get(p.id))),
        dropped,
      },
    };
  });
}
