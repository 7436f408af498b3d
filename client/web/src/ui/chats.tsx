import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage, ContactView } from '../engine/api.js';
import { shortTime, useAction, useApp } from './hooks.js';

/** Conversations: the list, and the open one beside it (desktop) or instead of it (phone). */
export function Chats({ open }: { readonly open: string | undefined }) {
  const { snapshot } = useApp();
  const contacts = snapshot.contacts;
  const current = contacts.find((c) => c.name === open);
  return (
    <div class={`chats ${current ? 'has-open' : ''}`}>
      <section class="chat-list" aria-labelledby="chats-h">
        <h2 id="chats-h">Conversations</h2>
        {contacts.length === 0 ? (
          <p class="empty">
            No contacts yet. <a href="#/people">Find a komrade</a> by name and ask to meet.
          </p>
        ) : (
          <ul class="list">
            {contacts.map((c) => (
              <li key={c.name}>
                <a
                  class={`list-item ${c.name === open ? 'selected' : ''}`}
                  href={`#/chats/${c.name}`}
                  aria-current={c.name === open ? 'page' : undefined}
                >
                  <span class="list-title">@{c.name}</span>
                  <span class="list-sub">
                    {c.state === 'established'
                      ? lastLine(snapshot.conversations[c.name])
                      : 'waiting for their accept'}
                  </span>
                  {c.unread > 0 ? (
                    <span class="badge" aria-label={`${String(c.unread)} unread`}>
                      {c.unread}
                    </span>
                  ) : null}
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
      {current ? (
        <Conversation contact={current} />
      ) : (
        <section class="conversation placeholder" aria-hidden="true">
          <p>Choose a conversation.</p>
        </section>
      )}
    </div>
  );
}

function lastLine(list: readonly ChatMessage[] | undefined): string {
  const last = list?.[list.length - 1];
  if (!last) return 'no messages yet';
  return `${last.direction === 'out' ? 'You: ' : ''}${last.text.slice(0, 60)}`;
}

function StatusLine({ m, to }: { readonly m: ChatMessage; readonly to: string }) {
  if (m.direction === 'out')
    return (
      <span class="msg-status" title="Sealed for them only; the relay cannot tell who sent it.">
        sent · the relay deletes it once @{to} fetches it
      </span>
    );
  return (
    <span class="msg-status" title="Fetched and acknowledged: the relay deleted its copy.">
      received · deleted from the relay
    </span>
  );
}

function Conversation({ contact }: { readonly contact: ContactView }) {
  const { engine, snapshot, navigate } = useApp();
  const [text, setText] = useState('');
  const send = useAction();
  const messages = snapshot.conversations[contact.name] ?? [];
  const end = useRef<HTMLLIElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages.length, contact.name]);
  useEffect(() => {
    if (contact.unread > 0) void engine.call('markRead', contact.name).catch(() => undefined);
  }, [contact.unread, contact.name, engine]);

  const submit = (): void => {
    const t = text;
    if (t.trim().length === 0 || send.busy) return;
    send.run(async () => {
      await engine.call('send', contact.name, t);
      setText('');
      input.current?.focus();
    });
  };

  return (
    <section class="conversation" aria-labelledby="conv-h">
      <header class="conv-head">
        <a class="back" href="#/chats" aria-label="Back to conversations">
          ‹
        </a>
        <h2 id="conv-h">@{contact.name}</h2>
        <span class={`tag ${contact.verified ? 'ok' : ''}`}>
          {contact.verified ? 'verified' : 'not verified'}
        </span>
        <button
          type="button"
          class="link"
          onClick={() => {
            navigate(`safety/${contact.name}`);
          }}
        >
          Safety number
        </button>
      </header>
      <div
        class="messages"
        role="log"
        aria-live="polite"
        aria-label={`Messages with @${contact.name}`}
      >
        <ol class="msg-list">
          {messages.length === 0 ? (
            <li class="empty">
              {contact.state === 'established'
                ? 'No messages yet. Messages are deleted from the relay as soon as they are fetched.'
                : `Waiting for @${contact.name} to accept your request.`}
            </li>
          ) : null}
          {messages.map((m) => (
            <li key={m.id} class={`msg ${m.direction}`}>
              <p class="msg-text">{m.text}</p>
              <span class="msg-meta">
                <time dateTime={new Date(m.atMs).toISOString()}>{shortTime(m.atMs)}</time>
                {' · '}
                <StatusLine m={m} to={contact.name} />
              </span>
            </li>
          ))}
          <li ref={end} class="end" aria-hidden="true" />
        </ol>
      </div>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label for="compose" class="visually-hidden">
          Message to @{contact.name}
        </label>
        <textarea
          id="compose"
          ref={input}
          rows={2}
          placeholder={
            contact.state === 'established' ? `Message @${contact.name}` : 'Not accepted yet'
          }
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button type="submit" class="primary" disabled={send.busy || text.trim().length === 0}>
          {send.busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      {send.error ? (
        <p class="error" role="alert">
          {send.error}
        </p>
      ) : null}
    </section>
  );
}
