import { useState } from 'preact/hooks';
import type { Snapshot } from '../engine/api.js';
import type { EngineClient } from './engine-client.js';
import { useAction } from './hooks.js';

interface AuthProps {
  readonly engine: EngineClient;
  readonly onUnlocked: (s: Snapshot) => void;
}

function ErrorLine({ error, id }: { readonly error: string | undefined; readonly id: string }) {
  return error ? (
    <p class="error" id={id} role="alert">
      {error}
    </p>
  ) : null;
}

/** First visit: make a new account (keys made on this device) or import one. */
export function Welcome({ engine, onUnlocked }: AuthProps) {
  const [name, setName] = useState('');
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const create = useAction();
  const mismatch = again.length > 0 && pass !== again;
  return (
    <main class="auth" id="main">
      <h1 class="brand-title">Komrade</h1>
      <p class="lede">
        A social network nobody can watch. Your keys are made and kept in this browser; the relay
        only ever sees sealed envelopes.
      </p>
      <section class="card" aria-labelledby="create-h">
        <h2 id="create-h">Create an account</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (mismatch) return;
            create.run(async () => {
              onUnlocked(await engine.call('create', name, pass));
            });
          }}
        >
          <label for="create-name">Name</label>
          <input
            id="create-name"
            name="name"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            required
            minLength={3}
            maxLength={33}
            pattern="@?[A-Za-z0-9_]{3,32}"
            aria-describedby="create-name-hint"
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <p class="hint" id="create-name-hint">
            3 to 32 letters, digits or underscores. Others find you by it.
          </p>
          <label for="create-pass">Passphrase</label>
          <input
            id="create-pass"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            aria-describedby="create-pass-hint"
            value={pass}
            onInput={(e) => {
              setPass(e.currentTarget.value);
            }}
          />
          <p class="hint" id="create-pass-hint">
            At least 8 characters. It encrypts your keys here; nobody can reset it for you.
          </p>
          <label for="create-again">Passphrase again</label>
          <input
            id="create-again"
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={mismatch}
            value={again}
            onInput={(e) => {
              setAgain(e.currentTarget.value);
            }}
          />
          {mismatch ? <p class="error">The two passphrases differ.</p> : null}
          <ErrorLine error={create.error} id="create-error" />
          <button type="submit" class="primary" disabled={create.busy || mismatch}>
            {create.busy ? 'Creating…' : 'Create account'}
          </button>
        </form>
      </section>
      <ImportCard engine={engine} onUnlocked={onUnlocked} replace={false} />
    </main>
  );
}

/** Restores an account exported from the CLI (`komrade export`) or from another browser. */
export function ImportCard({
  engine,
  onUnlocked,
  replace,
}: AuthProps & { readonly replace: boolean }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [pass, setPass] = useState('');
  const act = useAction();
  return (
    <section class="card" aria-labelledby="import-h">
      <h2 id="import-h">Import an account file</h2>
      <p class="hint">
        An export from another browser or from the command line (<code>komrade export</code>). Use
        an account on one device at a time: both would fetch, and delete, the same mail.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!file) return;
          act.run(async () => {
            const bytes = new Uint8Array(await file.arrayBuffer());
            onUnlocked(await engine.call('importAccount', bytes, pass, replace));
          });
        }}
      >
        <label for="import-file">Account file</label>
        <input
          id="import-file"
          type="file"
          required
          onChange={(e) => {
            setFile(e.currentTarget.files?.[0]);
          }}
        />
        <label for="import-pass">Passphrase of the file</label>
        <input
          id="import-pass"
          type="password"
          autoComplete="current-password"
          required
          value={pass}
          onInput={(e) => {
            setPass(e.currentTarget.value);
          }}
        />
        <ErrorLine error={act.error} id="import-error" />
        <button type="submit" class={replace ? 'danger' : 'secondary'} disabled={act.busy}>
          {act.busy ? 'Importing…' : replace ? 'Replace with this account' : 'Import account'}
        </button>
      </form>
    </section>
  );
}

/** A stored account: the passphrase opens it (one slow derivation, in the worker). */
export function Unlock({ engine, onUnlocked, onForgot }: AuthProps & { onForgot: () => void }) {
  const [pass, setPass] = useState('');
  const [other, setOther] = useState(false);
  const act = useAction();
  const forget = useAction();
  return (
    <main class="auth" id="main">
      <h1 class="brand-title">Komrade</h1>
      <section class="card" aria-labelledby="unlock-h">
        <h2 id="unlock-h">Unlock your account</h2>
        <p class="hint">This browser keeps your account encrypted with your passphrase.</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            act.run(async () => {
              onUnlocked(await engine.call('unlock', pass));
            });
          }}
        >
          <label for="unlock-pass">Passphrase</label>
          <input
            id="unlock-pass"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            value={pass}
            onInput={(e) => {
              setPass(e.currentTarget.value);
            }}
          />
          <ErrorLine error={act.error} id="unlock-error" />
          <button type="submit" class="primary" disabled={act.busy}>
            {act.busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </form>
      </section>
      <details
        class="card"
        open={other}
        onToggle={(e) => {
          setOther(e.currentTarget.open);
        }}
      >
        <summary>Use another account</summary>
        <ImportCard engine={engine} onUnlocked={onUnlocked} replace={true} />
        <section aria-labelledby="forget-h">
          <h2 id="forget-h">Forget the stored account</h2>
          <p class="hint">
            Deletes the encrypted account from this browser. Without an exported copy, its name and
            contacts are lost for good.
          </p>
          <ErrorLine error={forget.error} id="forget-error" />
          <button
            type="button"
            class="danger"
            disabled={forget.busy}
            onClick={() => {
              if (!confirm('Delete the account stored in this browser? This cannot be undone.'))
                return;
              forget.run(async () => {
                await engine.call('forget');
                onForgot();
              });
            }}
          >
            Forget this account
          </button>
        </section>
      </details>
    </main>
  );
}
