import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import type { Snapshot } from '../engine/api.js';
import { EngineCallError, type EngineClient } from './engine-client.js';

export interface AppContextValue {
  readonly engine: EngineClient;
  readonly snapshot: Snapshot;
  readonly setSnapshot: (s: Snapshot) => void;
  readonly navigate: (route: string) => void;
  /** Ends the engine (keys leave memory) and shows the unlock screen. */
  readonly lock: () => void;
  /** After the account was deleted from this browser. */
  readonly forgotten: () => void;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside the unlocked app');
  return v;
}

/** The part of the location after '#', without a leading slash ('chats/bob'). */
function currentRoute(): string {
  return decodeURIComponent(location.hash.replace(/^#\/?/, ''));
}

export function useRoute(): [string, (route: string) => void] {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const on = (): void => {
      setRoute(currentRoute());
    };
    addEventListener('hashchange', on);
    return () => {
      removeEventListener('hashchange', on);
    };
  }, []);
  const navigate = useCallback((r: string) => {
    location.hash = `#/${r}`;
  }, []);
  return [route, navigate];
}

export interface Action {
  readonly busy: boolean;
  readonly error: string | undefined;
  readonly run: (fn: () => Promise<void>) => void;
  readonly clear: () => void;
}

/** Runs one engine call at a time for a form: busy flag and the error sentence to show. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = useCallback((fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    fn()
      .catch((e: unknown) => {
        setError(e instanceof EngineCallError ? e.message : String(e));
      })
      .finally(() => {
        setBusy(false);
      });
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
  }, []);
  return { busy, error, run, clear };
}

/** Local time to the minute. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Time of day, or the date for older messages. */
export function shortTime(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : when(ms);
}
