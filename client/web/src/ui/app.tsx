import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { Activity, EngineError, Snapshot } from '../engine/api.js';
import { Account } from './account.js';
import { ActivityBar } from './activity-bar.js';
import { Unlock, Welcome } from './auth.js';
import { Chats } from './chats.js';
import { EngineClient } from './engine-client.js';
import { Collectives } from './collectives.js';
import { Feed } from './feed.js';
import { AppContext, useAction, useApp, useRoute, type AppContextValue } from './hooks.js';
import { People } from './people.js';
import { Safety } from './safety.js';

type Phase =
  | { readonly kind: 'loading' }
  | { readonly kind: 'fatal'; readonly error: EngineError }
  | { readonly kind: 'welcome' }
  | { readonly kind: 'locked' }
  | { readonly kind: 'unlocked' };

/** The whole page: engine worker lifecycle, then the screen for the account's state. */
export function App() {
  const [activity, setActivity] = useState<Activity>({ kind: 'loading' });
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>(undefined);
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [generation, setGeneration] = useState(0);

  // One worker per generation: locking ends the worker (keys leave memory) and starts anew.
  const engine = useMemo(
    () =>
      new EngineClient({
        onActivity: setActivity,
        onSnapshot: setSnapshot,
        onFatal: (error) => {
          setPhase({ kind: 'fatal', error });
        },
      }),
    [generation],
  );

  useEffect(() => {
    let live = true;
    setPhase({ kind: 'loading' });
    engine
      .call('status')
      .then((s) => {
        if (live) setPhase({ kind: s.stored ? 'locked' : 'welcome' });
      })
      .catch(() => undefined);
    return () => {
      live = false;
      engine.stop();
    };
  }, [engine]);

  const unlocked = useCallback((s: Snapshot) => {
    setSnapshot(s);
    setPhase({ kind: 'unlocked' });
    if (!location.hash || location.hash === '#/') location.hash = '#/chats';
  }, []);

  const restart = useCallback(() => {
    setSnapshot(undefined);
    setActivity({ kind: 'loading' });
    setGeneration((g) => g + 1);
  }, []);

  let screen;
  switch (phase.kind) {
    case 'loading':
      screen = (
        <main class="auth" id="main">
          <h1 class="brand-title">Komrade</h1>
          <p class="lede">Starting the encryption engine…</p>
        </main>
      );
      break;
    case 'fatal':
      screen = (
        <main class="auth" id="main">
          <h1 class="brand-title">Komrade</h1>
          <p class="error" role="alert">
            {phase.error.message}
          </p>
          <p class="hint">
            Komrade needs WebAssembly and Web Workers (in Tor Browser: the Standard security level).
          </p>
        </main>
      );
      break;
    case 'welcome':
      screen = <Welcome engine={engine} onUnlocked={unlocked} />;
      break;
    case 'locked':
      screen = <Unlock engine={engine} onUnlocked={unlocked} onForgot={restart} />;
      break;
    case 'unlocked':
      screen = snapshot ? (
        <Shell
          engine={engine}
          snapshot={snapshot}
          setSnapshot={setSnapshot}
          lock={restart}
          forgotten={restart}
        />
      ) : null;
      break;
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <ActivityBar activity={activity} />
      {screen}
    </>
  );
}

/** Line icons drawn here (no icon font, nothing fetched). */
const ICONS: Readonly<Record<string, string>> = {
  chats: 'M4 5h16v11H9l-5 4z',
  people: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 4-6.5 8-6.5s8 2.5 8 6.5',
  feed: 'M4 6h16M4 12h16M4 18h10',
  collectives:
    'M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 20c0-3 3-5.5 6-5.5s6 2.5 6 5.5M10 20c0-3 3-5.5 6-5.5s6 2.5 6 5.5',
  account: 'M6 11h12v10H6zM9 11V8a3 3 0 0 1 6 0v3',
};

function Icon({ name }: { readonly name: string }) {
  return (
    <svg
      class="nav-icon"
      viewBox="0 0 24 24"
      width="24"
      height="24"
      aria-hidden="true"
      focusable="false"
    >
      <path
        d={ICONS[name] ?? ''}
        fill="none"
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

const NAV: readonly { readonly route: string; readonly label: string }[] = [
  { route: 'chats', label: 'Chats' },
  { route: 'people', label: 'People' },
  { route: 'feed', label: 'Feed' },
  { route: 'collectives', label: 'Collectives' },
  { route: 'account', label: 'Account' },
];

function Shell(props: {
  readonly engine: EngineClient;
  readonly snapshot: Snapshot;
  readonly setSnapshot: (s: Snapshot) => void;
  readonly lock: () => void;
  readonly forgotten: () => void;
}) {
  const [route, navigate] = useRoute();
  const value: AppContextValue = { ...props, navigate };
  const [section = 'chats', arg] = route.split('/');
  return (
    <AppContext.Provider value={value}>
      <div class="shell">
        <header class="topbar">
          <span class="brand">Komrade</span>
          <span class="whoami" data-testid="whoami">
            {props.snapshot.name ? `@${props.snapshot.name}` : 'no name yet'}
          </span>
          <SyncButton />
          <button type="button" class="secondary small" onClick={props.lock}>
            Lock
          </button>
        </header>
        <nav class="nav" aria-label="Sections">
          <ul>
            {NAV.map((n) => {
              const pending =
                n.route === 'people'
                  ? props.snapshot.requests.length
                  : n.route === 'chats'
                    ? props.snapshot.contacts.reduce((a, c) => a + c.unread, 0)
                    : 0;
              return (
                <li key={n.route}>
                  <a
                    href={`#/${n.route}`}
                    aria-current={section === n.route ? 'page' : undefined}
                    class={section === n.route ? 'active' : ''}
                  >
                    <Icon name={n.route} />
                    <span class="nav-label">{n.label}</span>
                    {pending > 0 ? (
                      <span class="badge" aria-label={`${String(pending)} new`}>
                        {pending}
                      </span>
                    ) : null}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <main class="content" id="main" tabIndex={-1}>
          {props.snapshot.name === undefined ? <FinishRegistration /> : null}
          {props.snapshot.syncError ? (
            <p class="warning" role="status">
              {props.snapshot.syncError}
            </p>
          ) : null}
          <Section section={section} arg={arg} />
        </main>
      </div>
    </AppContext.Provider>
  );
}

function Section({ section, arg }: { readonly section: string; readonly arg: string | undefined }) {
  switch (section) {
    case 'people':
      return <People />;
    case 'feed':
      return <Feed />;
    case 'collectives':
      return <Collectives open={arg} />;
    case 'account':
      return <Account />;
    case 'safety':
      return arg ? <Safety name={arg} /> : <People />;
    default:
      return <Chats open={arg} />;
  }
}

/** Fetches every mailbox now (the engine also does it every few seconds). */
function SyncButton() {
  const { engine } = useApp();
  const act = useAction();
  return (
    <button
      type="button"
      class="secondary small"
      disabled={act.busy}
      title={act.error}
      onClick={() => {
        act.run(async () => {
          await engine.call('sync');
        });
      }}
    >
      {act.busy ? 'Checking…' : 'Check mail'}
    </button>
  );
}

/** An account stored before its registration was confirmed: register the name again. */
function FinishRegistration() {
  const { engine, setSnapshot } = useApp();
  const [name, setName] = useState('');
  const act = useAction();
  return (
    <section class="card" aria-labelledby="finish-h">
      <h2 id="finish-h">Finish your registration</h2>
      <p class="hint">The relay did not confirm your name last time. Register it again.</p>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            setSnapshot(await engine.call('register', name));
          });
        }}
      >
        <label for="finish-name">Name</label>
        <div class="row">
          <input
            id="finish-name"
            required
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <button type="submit" class="primary" disabled={act.busy}>
            Register
          </button>
        </div>
      </form>
      {act.error ? (
        <p class="error" role="alert">
          {act.error}
        </p>
      ) : null}
    </section>
  );
}
