import { initialize } from 'wasm-themis';
import { KomradeError } from '../errors.js';

let ready: Promise<void> | undefined;

/**
 * Initialises wasm-themis once per process (or page); every call returns the same promise.
 *
 * On Node 18+ the Emscripten loader would try to `fetch()` the .wasm by path and kill the
 * process (cossacklabs/themis#1062), so `fetch` is hidden while it loads. The loader also
 * installs process-wide uncaughtException/unhandledRejection hooks that rethrow and dump
 * 2.4 MB of source; exactly the hooks it added are removed afterwards.
 *
 * @param wasmPath where the browser finds libthemis.wasm (Node finds it itself)
 */
export function initCrypto(wasmPath?: string): Promise<void> {
  ready ??= load(wasmPath).catch((e: unknown) => {
    ready = undefined;
    throw new KomradeError('ERR_CRYPTO_INIT', e instanceof Error ? e.message : 'unknown');
  });
  return ready;
}

async function load(wasmPath: string | undefined): Promise<void> {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const isNode = proc?.versions?.node !== undefined;
  if (!isNode) {
    await initialize(wasmPath);
    return;
  }
  const before = {
    ue: new Set(proc.listeners('uncaughtException')),
    ur: new Set(proc.listeners('unhandledRejection')),
  };
  const g = globalThis as { fetch?: typeof fetch };
  const savedFetch = g.fetch;
  delete g.fetch;
  try {
    await initialize();
  } finally {
    if (savedFetch) g.fetch = savedFetch;
    for (const l of proc.listeners('uncaughtException'))
      if (!before.ue.has(l)) proc.removeListener('uncaughtException', l);
    for (const l of proc.listeners('unhandledRejection'))
      if (!before.ur.has(l)) proc.removeListener('unhandledRejection', l);
  }
}

/** Throws unless initCrypto() has completed; Themis calls before that would crash. */
export function assertCryptoReady(): void {
  if (ready === undefined) throw new KomradeError('ERR_CRYPTO_INIT', 'call initCrypto() first');
}
