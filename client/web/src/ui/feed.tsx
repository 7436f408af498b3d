import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { FeedItemView, FeedView } from '../engine/api.js';
import { shortTime, useAction, useApp, when } from './hooks.js';

/** Post limits as in the SDK: 1000 characters, one image, the whole post under 64 KiB. */
const MAX_TEXT = 1000;
const MAX_IMAGE_BYTES = 60 * 1024;
const REFRESH_MS = 15_000;

const LIFETIMES: readonly { readonly sec: number; readonly label: string }[] = [
  { sec: 3600, label: '1 hour' },
  { sec: 86_400, label: '1 day' },
  { sec: 3 * 86_400, label: '3 days' },
  { sec: 7 * 86_400, label: '7 days' },
  { sec: 30 * 86_400, label: '30 days (world posts only)' },
];
const MAIL_MAX_SEC = 7 * 86_400;

/** "in 3 hours", "in 2 days": when a post disappears. */
function until(ms: number): string {
  const left = Math.max(0, ms - Date.now());
  const h = Math.round(left / 3_600_000);
  if (h < 1) return 'within the hour';
  if (h < 48) return `in ${String(h)} hour${h === 1 ? '' : 's'}`;
  return `in ${String(Math.round(h / 24))} days`;
}

/** A blob: URL for image bytes made here (the CSP allows blob: images and nothing remote). */
function useObjectUrl(bytes: Uint8Array | undefined, mime: string): string | undefined {
  const url = useMemo(
    () =>
      bytes && bytes.length > 0
        ? URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: mime }))
        : undefined,
    [bytes, mime],
  );
  useEffect(
    () => () => {
      if (url) URL.revokeObjectURL(url);
    },
    [url],
  );
  return url;
}

function PostImage({ item }: { readonly item: FeedItemView }) {
  const url = useObjectUrl(item.image?.bytes, item.image?.mime ?? '');
  return url ? <img class="post-image" src={url} alt={`Image posted by @${item.author}`} /> : null;
}

/** World, friends and collective posts, newest first, and the composer. */
export function Feed() {
  const { engine } = useApp();
  const [feed, setFeed] = useState<FeedView | undefined>(undefined);
  const load = useAction();
  const refresh = useCallback(() => {
    load.run(async () => {
      setFeed(await engine.call('feed', true));
    });
  }, [engine, load.run]);
  useEffect(() => {
    refresh();
    const t = setInterval(refresh, REFRESH_MS);
    return () => {
      clearInterval(t);
    };
  }, [refresh]);

  return (
    <div class="feed">
      <Composer onPosted={refresh} />
      <section class="card" aria-labelledby="feed-h">
        <div class="card-head">
          <h2 id="feed-h">Feed</h2>
          <button type="button" class="secondary small" disabled={load.busy} onClick={refresh}>
            {load.busy ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        {load.error ? (
          <p class="error" role="alert">
            {load.error}
          </p>
        ) : null}
        {feed && feed.items.length === 0 ? (
          <p class="empty">Nothing yet. Posts disappear when their lifetime ends.</p>
        ) : null}
        {feed ? (
          <ol class="posts" aria-label="Posts, newest first">
            {feed.items.map((p) => (
              <li key={`${p.source}-${p.id}`} class="post">
                <div class="post-head">
                  <span class="list-title">@{p.author}</span>
                  <span
                    class={`tag source-${p.source === 'world' ? 'world' : p.source === 'friends' ? 'friends' : 'collective'}`}
                  >
                    {p.source === 'world' ? 'world' : p.source === 'friends' ? 'friends' : p.source}
                  </span>
                </div>
                {p.text ? <p class="post-text">{p.text}</p> : null}
                <PostImage item={p} />
                <span class="msg-meta">
                  <time dateTime={new Date(p.sentAtMs).toISOString()}>{shortTime(p.sentAtMs)}</time>
                  {' · '}
                  <span title={when(p.expiresAtMs)}>disappears {until(p.expiresAtMs)}</span>
                </span>
              </li>
            ))}
          </ol>
        ) : null}
        {feed && feed.worldRejected > 0 ? (
          <p class="hint">
            {feed.worldRejected} world post(s) failed their checks and are not shown.
          </p>
        ) : null}
      </section>
    </div>
  );
}

function Composer({ onPosted }: { readonly onPosted: () => void }) {
  const { engine, snapshot } = useApp();
  const [text, setText] = useState('');
  const [audience, setAudience] = useState('world');
  const [ttl, setTtl] = useState(7 * 86_400);
  const [image, setImage] = useState<{ bytes: Uint8Array; mime: string } | undefined>(undefined);
  const [imageError, setImageError] = useState<string | undefined>(undefined);
  const [fileKey, setFileKey] = useState(0);
  const [done, setDone] = useState<string | undefined>(undefined);
  const act = useAction();
  const preview = useObjectUrl(image?.bytes, image?.mime ?? '');
  const collectives = snapshot.collectives.filter((c) => c.state === 'member' && c.hasKey);
  const tooLong = text.length > MAX_TEXT;
  const ttlTooLong = audience !== 'world' && ttl > MAIL_MAX_SEC;

  return (
    <section class="card" aria-labelledby="compose-h">
      <h2 id="compose-h">Post</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setDone(undefined);
          if (tooLong || ttlTooLong || (text.trim() === '' && !image)) return;
          act.run(async () => {
            const r = await engine.call('post', audience, text, image?.bytes, ttl);
            setText('');
            setImage(undefined);
            setFileKey((k) => k + 1);
            setDone(`Posted; it reaches ${r.reached}.`);
            onPosted();
          });
        }}
      >
        <label for="post-text">What do you want to say?</label>
        <textarea
          id="post-text"
          rows={3}
          aria-describedby="post-count"
          aria-invalid={tooLong}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
          }}
        />
        <p class={`hint ${tooLong ? 'error' : ''}`} id="post-count">
          {text.length} / {MAX_TEXT} characters
        </p>
        <div class="form-grid">
          <div>
            <label for="post-audience">Audience</label>
            <select
              id="post-audience"
              value={audience}
              onChange={(e) => {
                setAudience(e.currentTarget.value);
              }}
            >
              <option value="world">World: every komrade (signed by you)</option>
              <option value="friends">Friends: your contacts only (sealed)</option>
              {collectives.map((c) => (
                <option key={c.name} value={`@${c.name}`}>
                  @{c.name}: its members (sealed)
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="post-ttl">Lifetime</label>
            <select
              id="post-ttl"
              value={String(ttl)}
              aria-invalid={ttlTooLong}
              onChange={(e) => {
                setTtl(Number(e.currentTarget.value));
              }}
            >
              {LIFETIMES.map((l) => (
                <option key={l.sec} value={String(l.sec)}>
                  {l.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        {ttlTooLong ? <p class="error">Friends and collective posts live at most 7 days.</p> : null}
        <label for="post-image">Image (optional: PNG, JPEG, GIF or WebP, up to 60 KB)</label>
        <input
          key={fileKey}
          id="post-image"
          type="file"
          accept="image/png,image/jpeg,image/gif,image/webp"
          onChange={(e) => {
            setImageError(undefined);
            const f = e.currentTarget.files?.[0];
            if (!f) {
              setImage(undefined);
              return;
            }
            if (f.size > MAX_IMAGE_BYTES) {
              setImage(undefined);
              setImageError('That image is too large: at most 60 KB.');
              return;
            }
            void f.arrayBuffer().then((b) => {
              setImage({ bytes: new Uint8Array(b), mime: f.type });
            });
          }}
        />
        {imageError ? <p class="error">{imageError}</p> : null}
        {preview ? (
          <img class="post-image preview" src={preview} alt="The image you chose" />
        ) : null}
        {act.error ? (
          <p class="error" role="alert">
            {act.error}
          </p>
        ) : null}
        <button
          type="submit"
          class="primary"
          disabled={act.busy || tooLong || ttlTooLong || (text.trim() === '' && !image)}
        >
          {act.busy ? 'Posting…' : 'Post'}
        </button>
        {done ? (
          <p class="notice" role="status">
            {done}
          </p>
        ) : null}
      </form>
    </section>
  );
}
