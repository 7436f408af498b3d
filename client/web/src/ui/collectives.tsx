import { useEffect, useState } from 'preact/hooks';
import type { CollectiveEntryView, CollectiveView, MyCollective } from '../engine/api.js';
import { useAction, useApp, when } from './hooks.js';

const POLICIES: readonly { readonly value: string; readonly label: string }[] = [
  { value: 'steps:10=1,n/10+1', label: '1 vouch up to 10 members, then ceil(n/10)+1' },
  { value: 'fixed:1', label: 'always 1 vouch' },
  { value: 'fixed:2', label: 'always 2 vouches' },
  { value: 'fraction:1/2:1', label: 'half of the members' },
  { value: 'custom', label: 'custom rule…' },
];

function stateOf(c: MyCollective): string {
  if (c.state === 'candidate') return 'candidate: waiting for vouches';
  if (!c.hasKey) return 'member: waiting for the group key';
  return c.founder ? 'founder and member' : 'member';
}

/** Your collectives, founding one, and looking one up. */
export function Collectives({ open }: { readonly open: string | undefined }) {
  const { snapshot, navigate } = useApp();
  if (open) return <CollectiveDetail name={open} />;
  return (
    <div class="collectives">
      <section class="card" aria-labelledby="mine-h">
        <h2 id="mine-h">Your collectives</h2>
        {snapshot.collectives.length === 0 ? (
          <p class="empty">None yet. Found one, or ask to join one below.</p>
        ) : (
          <ul class="list">
            {snapshot.collectives.map((c) => (
              <li key={c.name}>
                <a class="list-item" href={`#/collectives/${c.name}`}>
                  <span class="list-title">@{c.name}</span>
                  <span class="list-sub">{stateOf(c)}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <FindCollective
        onFound={(name) => {
          navigate(`collectives/${name}`);
        }}
      />
      <FoundCollective />
      <VouchCount />
    </div>
  );
}

function FindCollective({ onFound }: { readonly onFound: (name: string) => void }) {
  const { engine } = useApp();
  const [name, setName] = useState('');
  const act = useAction();
  return (
    <section class="card" aria-labelledby="findc-h">
      <h2 id="findc-h">Look at a collective</h2>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            const v = await engine.call('collective', name);
            onFound(v.name);
          });
        }}
      >
        <label for="findc-name">Collective name</label>
        <div class="row">
          <input
            id="findc-name"
            autoCapitalize="none"
            spellcheck={false}
            required
            placeholder="@portland"
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <button type="submit" class="secondary" disabled={act.busy}>
            Open
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

function FoundCollective() {
  const { engine, navigate } = useApp();
  const [name, setName] = useState('');
  const [preset, setPreset] = useState(POLICIES[0]?.value ?? 'fixed:1');
  const [custom, setCustom] = useState('');
  const act = useAction();
  return (
    <section class="card" aria-labelledby="foundc-h">
      <h2 id="foundc-h">Found a collective</h2>
      <p class="hint">
        You become its first member. Others ask to join, and are admitted when enough members vouch
        for them: the quorum, which grows with the collective under the rule you choose now (members
        can later vote to change it). Nobody learns who vouched for whom.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            const v = await engine.call('found', name, preset === 'custom' ? custom : preset);
            navigate(`collectives/${v.name}`);
          });
        }}
      >
        <label for="foundc-name">Collective name</label>
        <input
          id="foundc-name"
          autoCapitalize="none"
          spellcheck={false}
          required
          placeholder="portland"
          value={name}
          onInput={(e) => {
            setName(e.currentTarget.value);
          }}
        />
        <label for="foundc-policy">Quorum rule</label>
        <select
          id="foundc-policy"
          value={preset}
          onChange={(e) => {
            setPreset(e.currentTarget.value);
          }}
        >
          {POLICIES.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
        {preset === 'custom' ? (
          <>
            <label for="foundc-custom">Custom rule</label>
            <input
              id="foundc-custom"
              required
              placeholder="fixed:3, fraction:1/3:2 or steps:5=1,20=2,n/10+1"
              aria-describedby="foundc-custom-hint"
              value={custom}
              onInput={(e) => {
                setCustom(e.currentTarget.value);
              }}
            />
            <p class="hint" id="foundc-custom-hint">
              As the command line&apos;s --quorum: fixed:N, fraction:NUM/DEN[:MIN], or
              steps:UPTO=Q,...[,n/DIV+ADD].
            </p>
          </>
        ) : null}
        {act.error ? (
          <p class="error" role="alert">
            {act.error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={act.busy}>
          {act.busy ? 'Founding…' : 'Found collective'}
        </button>
      </form>
    </section>
  );
}

function VouchCount() {
  const { engine } = useApp();
  const [name, setName] = useState('');
  const [result, setResult] = useState<string | undefined>(undefined);
  const act = useAction();
  return (
    <section class="card" aria-labelledby="vcount-h">
      <h2 id="vcount-h">Vouches of a komrade</h2>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setResult(undefined);
          act.run(async () => {
            const r = await engine.call('vouchCount', name);
            setResult(
              `@${r.name} has ${String(r.count)} vouch${r.count === 1 ? '' : 'es'} over every collective of this relay.`,
            );
          });
        }}
      >
        <label for="vcount-name">Name</label>
        <div class="row">
          <input
            id="vcount-name"
            autoCapitalize="none"
            spellcheck={false}
            required
            placeholder="@name"
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <button type="submit" class="secondary" disabled={act.busy}>
            Count
          </button>
        </div>
      </form>
      {act.error ? (
        <p class="error" role="alert">
          {act.error}
        </p>
      ) : null}
      {result ? (
        <p class="notice" role="status">
          {result}
        </p>
      ) : null}
    </section>
  );
}

function Entry({ e, quorum }: { readonly e: CollectiveEntryView; readonly quorum?: number }) {
  return (
    <>
      <span class="list-title">
        {e.me ? 'you' : e.label || 'unknown komrade'}
        {e.me && e.label ? ` (${e.label})` : ''}
      </span>
      <span class="list-sub digits">{e.fingerprint}</span>
      <span class="list-sub">
        {quorum === undefined
          ? `${String(e.vouches)} vouch${e.vouches === 1 ? '' : 'es'} at admission`
          : `${String(e.vouches)} of ${String(quorum)} vouches`}
      </span>
    </>
  );
}

/** One collective: members with vouch counts, the quorum, candidates to vouch for, join, leave. */
function CollectiveDetail({ name }: { readonly name: string }) {
  const { engine, snapshot, navigate } = useApp();
  const [view, setView] = useState<CollectiveView | undefined>(undefined);
  const [candidate, setCandidate] = useState('');
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const load = useAction();
  const act = useAction();
  const mine = snapshot.collectives.find((c) => c.name === view?.name);
  const member = mine?.state === 'member';

  useEffect(() => {
    load.run(async () => {
      setView(await engine.call('collective', name));
    });
  }, [name, engine, load.run, snapshot.lastSyncMs]);
  // a notice about an earlier state (candidate) is stale once the state moves on
  const stateKey = mine ? `${mine.state}/${String(mine.hasKey)}` : 'none';
  const [shownFor, setShownFor] = useState(stateKey);
  if (shownFor !== stateKey) {
    setShownFor(stateKey);
    if (notice?.startsWith('You are a candidate')) setNotice(undefined);
  }

  const vouch = (who: string): void => {
    setNotice(undefined);
    act.run(async () => {
      const r = await engine.call('vouch', name, who);
      setView(r.view);
      setCandidate('');
      setNotice(
        r.admitted
          ? `Your vouch admitted @${who.replace(/^@/, '')}: the group key is on its way to them.`
          : `Vouch counted for @${who.replace(/^@/, '')}.`,
      );
    });
  };

  return (
    <div class="collective">
      <p>
        <a href="#/collectives">‹ All collectives</a>
      </p>
      {load.error ? (
        <p class="error" role="alert">
          {load.error}
        </p>
      ) : null}
      {view ? (
        <>
          <section class="card" aria-labelledby="coll-h">
            <h2 id="coll-h">@{view.name}</h2>
            <dl class="facts">
              <dt>Members</dt>
              <dd>{view.members.length}</dd>
              <dt>Quorum now</dt>
              <dd data-testid="quorum">
                {view.quorum} vouch{view.quorum === 1 ? '' : 'es'} to admit a candidate
              </dd>
              <dt>Rule</dt>
              <dd>
                {view.policyWords} (<code>{view.policy}</code>)
              </dd>
              <dt>Founded</dt>
              <dd>{when(view.createdMs)}</dd>
              <dt>You</dt>
              <dd>{mine ? stateOf(mine) : 'not a member'}</dd>
            </dl>
            <div class="actions">
              {!mine ? (
                <button
                  type="button"
                  class="primary"
                  disabled={act.busy}
                  onClick={() => {
                    setNotice(undefined);
                    act.run(async () => {
                      setView(await engine.call('join', name));
                      setNotice('You are a candidate now: members can vouch for you.');
                    });
                  }}
                >
                  Ask to join
                </button>
              ) : null}
              {member && mine.hasKey ? (
                <a class="button-link" href="#/feed">
                  Post to @{view.name}
                </a>
              ) : null}
              {mine ? (
                <button
                  type="button"
                  class="danger"
                  disabled={act.busy}
                  onClick={() => {
                    if (!confirm(`Leave @${view.name}?`)) return;
                    act.run(async () => {
                      await engine.call('leave', name);
                      navigate('collectives');
                    });
                  }}
                >
                  {mine.state === 'member' ? 'Leave' : 'Withdraw candidacy'}
                </button>
              ) : null}
            </div>
            {act.error ? (
              <p class="error" role="alert">
                {act.error}
              </p>
            ) : null}
            {notice ? (
              <p class="notice" role="status">
                {notice}
              </p>
            ) : null}
          </section>

          <section class="card" aria-labelledby="cand-h">
            <h2 id="cand-h">Candidates</h2>
            {view.candidates.length === 0 ? (
              <p class="empty">Nobody is waiting to join.</p>
            ) : (
              <ul class="list">
                {view.candidates.map((c) => (
                  <li key={c.fingerprint} class="request">
                    <div>
                      <Entry e={c} quorum={view.quorum} />
                    </div>
                    {member && !c.me && c.label ? (
                      <div class="actions">
                        <button
                          type="button"
                          class="primary"
                          disabled={act.busy}
                          aria-label={`Vouch for ${c.label}`}
                          onClick={() => {
                            vouch(c.label);
                          }}
                        >
                          Vouch
                        </button>
                      </div>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
            {member ? (
              <form
                class="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  vouch(candidate);
                }}
              >
                <label for="vouch-name">Vouch for a candidate by name</label>
                <div class="row">
                  <input
                    id="vouch-name"
                    autoCapitalize="none"
                    spellcheck={false}
                    required
                    placeholder="@name"
                    value={candidate}
                    onInput={(e) => {
                      setCandidate(e.currentTarget.value);
                    }}
                  />
                  <button type="submit" class="secondary" disabled={act.busy}>
                    Vouch
                  </button>
                </div>
                <p class="hint">
                  Only counts are public: nobody, not even the candidate, is told who vouched.
                </p>
              </form>
            ) : null}
          </section>

          <section class="card" aria-labelledby="members-h">
            <h2 id="members-h">Members</h2>
            <ul class="list">
              {view.members.map((m) => (
                <li key={m.fingerprint} class="request">
                  <div>
                    <Entry e={m} />
                  </div>
                </li>
              ))}
            </ul>
          </section>
        </>
      ) : null}
    </div>
  );
}
