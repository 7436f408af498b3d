import { useState } from 'preact/hooks';
import type { DirectoryView } from '../engine/api.js';
import { useAction, useApp, when } from './hooks.js';

/** Directory lookup and meeting, requests to accept, and the contact list. */
export function People() {
  const { engine, snapshot, navigate } = useApp();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<DirectoryView | undefined>(undefined);
  const [note, setNote] = useState('');
  const [sent, setSent] = useState<string | undefined>(undefined);
  const lookup = useAction();
  const meet = useAction();
  const answer = useAction();
  const known = found && snapshot.contacts.find((c) => c.name === found.name);

  return (
    <div class="people">
      <section class="card" aria-labelledby="find-h">
        <h2 id="find-h">Find a komrade</h2>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            setFound(undefined);
            setSent(undefined);
            lookup.run(async () => {
              setFound(await engine.call('whois', query));
            });
          }}
        >
          <label for="find-name">Name</label>
          <div class="row">
            <input
              id="find-name"
              autoCapitalize="none"
              spellcheck={false}
              required
              placeholder="@name"
              value={query}
              onInput={(e) => {
                setQuery(e.currentTarget.value);
              }}
            />
            <button type="submit" class="secondary" disabled={lookup.busy}>
              {lookup.busy ? 'Looking up…' : 'Look up'}
            </button>
          </div>
        </form>
        {lookup.error ? (
          <p class="error" role="alert">
            {lookup.error}
          </p>
        ) : null}
        {found ? (
          <div class="found" aria-live="polite">
            <h3>@{found.name}</h3>
            <dl class="facts">
              <dt>Fingerprint</dt>
              <dd class="digits">{found.fingerprint}</dd>
              <dt>Relay</dt>
              <dd>{found.relay}</dd>
              <dt>Registered</dt>
              <dd>{when(found.registeredAtMs)}</dd>
            </dl>
            {found.name === snapshot.name ? (
              <p class="hint">That is you.</p>
            ) : known?.state === 'established' ? (
              <p class="hint">
                Already a contact: <a href={`#/chats/${found.name}`}>open the conversation</a>.
              </p>
            ) : (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  meet.run(async () => {
                    const r = await engine.call('meet', found.name, note);
                    setSent(
                      r.acceptedTheirs
                        ? `@${found.name} had already asked to meet you: you are now contacts.`
                        : `Request sent to @${found.name}. You can write once they accept.`,
                    );
                    setNote('');
                  });
                }}
              >
                <label for="meet-note">Note (optional, sealed for them only)</label>
                <input
                  id="meet-note"
                  maxLength={280}
                  value={note}
                  onInput={(e) => {
                    setNote(e.currentTarget.value);
                  }}
                />
                <button type="submit" class="primary" disabled={meet.busy}>
                  {meet.busy ? 'Sending request…' : known ? 'Ask again' : `Meet @${found.name}`}
                </button>
              </form>
            )}
            {meet.error ? (
              <p class="error" role="alert">
                {meet.error}
              </p>
            ) : null}
            {sent ? (
              <p class="notice" role="status">
                {sent}
              </p>
            ) : null}
          </div>
        ) : null}
      </section>

      <section class="card" aria-labelledby="requests-h">
        <h2 id="requests-h">Requests to meet you</h2>
        {snapshot.requests.length === 0 ? (
          <p class="empty">No pending requests.</p>
        ) : (
          <ul class="list">
            {snapshot.requests.map((r) => (
              <li key={r.name} class="request">
                <div>
                  <span class="list-title">@{r.name}</span>
                  <span class="list-sub">received {when(r.receivedAtMs)}</span>
                  {r.note ? <blockquote class="note">{r.note}</blockquote> : null}
                  <span class="list-sub digits">fingerprint {r.fingerprint}</span>
                </div>
                <div class="actions">
                  <button
                    type="button"
                    class="primary"
                    disabled={answer.busy}
                    aria-label={`Accept @${r.name}`}
                    onClick={() => {
                      answer.run(async () => {
                        await engine.call('accept', r.name);
                        navigate(`chats/${r.name}`);
                      });
                    }}
                  >
                    Accept
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    disabled={answer.busy}
                    aria-label={`Decline @${r.name}`}
                    onClick={() => {
                      answer.run(async () => {
                        await engine.call('decline', r.name);
                      });
                    }}
                  >
                    Decline
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
        {answer.error ? (
          <p class="error" role="alert">
            {answer.error}
          </p>
        ) : null}
      </section>

      <section class="card" aria-labelledby="contacts-h">
        <h2 id="contacts-h">Contacts</h2>
        {snapshot.contacts.length === 0 ? (
          <p class="empty">Nobody yet.</p>
        ) : (
          <ul class="list">
            {snapshot.contacts.map((c) => (
              <li key={c.name}>
                <a class="list-item" href={`#/chats/${c.name}`}>
                  <span class="list-title">@{c.name}</span>
                  <span class="list-sub">
                    {c.state === 'established' ? 'contact' : 'waiting for their accept'}
                    {c.verified ? ' · safety number verified' : ''}
                  </span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
