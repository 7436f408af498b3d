import { useState } from 'preact/hooks';
import { useAction, useApp, when } from './hooks.js';

/** Starts a download of bytes made here (a blob: URL; nothing leaves the device). */
function download(bytes: Uint8Array, filename: string): void {
  const url = URL.createObjectURL(
    new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
}

/** Who you are, export, lock and forget. */
export function Account() {
  const { engine, snapshot, lock, forgotten } = useApp();
  const [pass, setPass] = useState('');
  const [done, setDone] = useState<string | undefined>(undefined);
  const exp = useAction();
  const forget = useAction();
  return (
    <div class="account">
      <section class="card" aria-labelledby="me-h">
        <h2 id="me-h">Your account</h2>
        <dl class="facts">
          <dt>Name</dt>
          <dd>{snapshot.name ? `@${snapshot.name}` : 'not registered'}</dd>
          <dt>Relay</dt>
          <dd>{snapshot.relay}</dd>
          <dt>Your fingerprint</dt>
          <dd class="digits">{snapshot.fingerprint}</dd>
          <dt>Mail last checked</dt>
          <dd>{snapshot.lastSyncMs ? when(snapshot.lastSyncMs) : 'not yet'}</dd>
        </dl>
        <p class="hint">
          Your private keys never leave this device: they are made here, kept in this browser
          (IndexedDB) encrypted with your passphrase, and used only inside the page&apos;s worker.
        </p>
      </section>
      <section class="card" aria-labelledby="export-h">
        <h2 id="export-h">Export your account</h2>
        <p class="hint">
          One file with your keys, contacts and pending requests, encrypted with your passphrase. It
          opens in another browser (Import) or with the command line (<code>komrade import</code>).
          Tor Browser forgets site data when it closes: keep an export to come back.
        </p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setDone(undefined);
            exp.run(async () => {
              const bytes = await engine.call('exportAccount', pass);
              download(bytes, `komrade-${snapshot.name ?? 'account'}.kmk`);
              setPass('');
              setDone('Exported. Keep the file safe: it holds your private keys (encrypted).');
            });
          }}
        >
          <label for="export-pass">Passphrase</label>
          <input
            id="export-pass"
            type="password"
            autoComplete="current-password"
            required
            value={pass}
            onInput={(e) => {
              setPass(e.currentTarget.value);
            }}
          />
          <button type="submit" class="secondary" disabled={exp.busy}>
            {exp.busy ? 'Encrypting…' : 'Export account file'}
          </button>
        </form>
        {exp.error ? (
          <p class="error" role="alert">
            {exp.error}
          </p>
        ) : null}
        {done ? (
          <p class="notice" role="status">
            {done}
          </p>
        ) : null}
      </section>
      <section class="card" aria-labelledby="session-h">
        <h2 id="session-h">This browser</h2>
        <div class="actions">
          <button type="button" class="secondary" onClick={lock}>
            Lock now
          </button>
          <button
            type="button"
            class="danger"
            disabled={forget.busy}
            onClick={() => {
              if (!confirm('Delete the account stored in this browser? Export it first.')) return;
              forget.run(async () => {
                await engine.call('forget');
                forgotten();
              });
            }}
          >
            Forget this account here
          </button>
        </div>
        {forget.error ? (
          <p class="error" role="alert">
            {forget.error}
          </p>
        ) : null}
      </section>
    </div>
  );
}
