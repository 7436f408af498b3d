/**
 * The engine worker: loads wasm-themis, then answers the page's calls. Keys, the SDK and
 * the passphrase derivations (about half a second each) live here, so the page stays
 * responsive and never holds a private key.
 */
import { initCrypto } from '@komrade/protocol';
import wasmUrl from 'wasm-themis/src/libthemis.wasm?url';
import type { CallMessage, WorkerMessage } from './api.js';
import { Engine } from './engine.js';
import { toEngineError } from './messages.js';

/** How often the unlocked account fetches its mailboxes in the background. */
const POLL_MS = 3000;

function post(m: WorkerMessage): void {
  self.postMessage(m);
}

/** Holds the account for this worker's lifetime; false if another tab holds it. */
async function takeAccountLock(): Promise<boolean> {
  const locks = (navigator as { locks?: LockManager }).locks;
  if (!locks) return true;
  return new Promise<boolean>((resolve, reject) => {
    locks
      .request('komrade-account', { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        // held until the worker ends (lock, reload or tab closed)
        return lock === null ? undefined : new Promise<never>(() => undefined);
      })
      .catch(reject);
  });
}

let lockHeld = false;
const engine = new Engine({
  onActivity: (activity) => {
    post({ kind: 'activity', activity });
  },
  onSnapshot: (snapshot) => {
    post({ kind: 'snapshot', snapshot });
  },
  takeAccountLock: async () => (lockHeld ||= await takeAccountLock()),
});

async function main(): Promise<void> {
  post({ kind: 'activity', activity: { kind: 'loading' } });
  try {
    await initCrypto(wasmUrl);
  } catch (e) {
    post({ kind: 'fatal', error: toEngineError(e) });
    return;
  }
  self.onmessage = (e: MessageEvent<CallMessage>) => {
    const { id, method, args } = e.data;
    engine.call(method, args).then(
      (value) => {
        post({ kind: 'result', id, value });
      },
      (err: unknown) => {
        post({ kind: 'error', id, error: toEngineError(err) });
      },
    );
  };
  post({ kind: 'activity', activity: { kind: 'idle' } });
  post({ kind: 'ready' });
  const loop = (): void => {
    setTimeout(() => {
      void engine.poll().finally(loop);
    }, POLL_MS);
  };
  loop();
}

void main();
