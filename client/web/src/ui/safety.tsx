import { useEffect, useState } from 'preact/hooks';
import type { SafetyView } from '../engine/api.js';
import { useAction, useApp } from './hooks.js';

/**
 * The safety number shared with a contact (the same 60 digits on both devices), and the
 * interactive check: both run it at once with a phrase agreed outside Komrade.
 */
export function Safety({ name }: { readonly name: string }) {
  const { engine, snapshot } = useApp();
  const [view, setView] = useState<SafetyView | undefined>(undefined);
  const [phrase, setPhrase] = useState('');
  const [result, setResult] = useState<string | undefined>(undefined);
  const load = useAction();
  const check = useAction();
  const verified = snapshot.contacts.find((c) => c.name === name)?.verified ?? false;

  useEffect(() => {
    load.run(async () => {
      setView(await engine.call('safety', name));
    });
  }, [name, engine, load.run]);

  return (
    <section class="card safety" aria-labelledby="safety-h">
      <h2 id="safety-h">Safety number with @{name}</h2>
      {load.error ? (
        <p class="error" role="alert">
          {load.error}
        </p>
      ) : null}
      {view ? (
        <>
          <p class="hint">
            The same 60 digits appear on @{name}&apos;s device if, and only if, you both hold the
            right keys. Compare them in person or over a channel you trust.
          </p>
          <div class="safety-grid digits" aria-label="Safety number" data-testid="safety-number">
            {view.groups.map((g, i) => (
              <span key={String(i)}>{g}</span>
            ))}
          </div>
          <dl class="facts">
            <dt>Your fingerprint</dt>
            <dd class="digits">{view.mine.join(' ')}</dd>
            <dt>@{name}&apos;s fingerprint</dt>
            <dd class="digits">{view.theirs.join(' ')}</dd>
            <dt>Status</dt>
            <dd>
              <span class={`tag ${verified ? 'ok' : ''}`}>
                {verified ? 'verified by an interactive check' : 'not verified yet'}
              </span>
            </dd>
          </dl>
          <h3>Check together</h3>
          <p class="hint">
            Agree a short phrase with @{name} outside Komrade (in person, or an answer only they
            know), then both start the check within two minutes. Neither side learns anything but
            whether both hold the same keys and phrase.
          </p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setResult(undefined);
              check.run(async () => {
                setView(await engine.call('verify', name, phrase));
                setResult(`Safety numbers match: @${name} holds the keys you hold.`);
              });
            }}
          >
            <label for="verify-phrase">Shared phrase</label>
            <input
              id="verify-phrase"
              type="password"
              autoComplete="off"
              required
              value={phrase}
              onInput={(e) => {
                setPhrase(e.currentTarget.value);
              }}
            />
            <button type="submit" class="primary" disabled={check.busy}>
              {check.busy ? `Waiting for @${name}…` : 'Start the check'}
            </button>
          </form>
          {check.error ? (
            <p class="error" role="alert">
              {check.error}
            </p>
          ) : null}
          {result ? (
            <p class="notice" role="status">
              {result}
            </p>
          ) : null}
        </>
      ) : null}
      <p>
        <a href={`#/chats/${name}`}>Back to the conversation</a>
      </p>
    </section>
  );
}
