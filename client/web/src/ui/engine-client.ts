import type {
  Activity,
  EngineError,
  EngineMethods,
  MethodName,
  Snapshot,
  WorkerMessage,
} from '../engine/api.js';

/** A failed engine call, with the registry code and the sentence to show. */
export class EngineCallError extends Error {
  constructor(readonly detail: EngineError) {
    super(detail.message);
    this.name = 'EngineCallError';
  }
}

export interface EngineEvents {
  readonly onActivity: (a: Activity) => void;
  readonly onSnapshot: (s: Snapshot) => void;
  readonly onFatal: (e: EngineError) => void;
}

/**
 * The page's handle on the engine worker. `stop()` ends the worker, which drops every
 * key from memory (that is how the page locks the account).
 */
export class EngineClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly ready: Promise<void>;

  constructor(events: EngineEvents) {
    this.worker = new Worker(new URL('../engine/worker.ts', import.meta.url), {
      type: 'module',
      name: 'komrade-engine',
    });
    let markReady: () => void = () => undefined;
    let failReady: (e: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      switch (m.kind) {
        case 'ready':
          markReady();
          break;
        case 'fatal':
          failReady(new EngineCallError(m.error));
          events.onFatal(m.error);
          break;
        case 'activity':
          events.onActivity(m.activity);
          break;
        case 'snapshot':
          events.onSnapshot(m.snapshot);
          break;
        case 'result':
        case 'error': {
          const w = this.waiting.get(m.id);
          if (!w) break;
          this.waiting.delete(m.id);
          if (m.kind === 'result') w.resolve(m.value);
          else w.reject(new EngineCallError(m.error));
          break;
        }
      }
    };
    this.worker.onerror = (e) => {
      const error = { code: 'ERR_WEB_WORKER', message: `The engine stopped: ${e.message}` };
      failReady(new EngineCallError(error));
      events.onFatal(error);
    };
  }

  async call<M extends MethodName>(
    method: M,
    ...args: EngineMethods[M]['args']
  ): Promise<EngineMethods[M]['result']> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {
        resolve: (v) => {
          resolve(v as EngineMethods[M]['result']);
        },
        reject,
      });
      this.worker.postMessage({ kind: 'call', id, method, args });
    });
  }

  stop(): void {
    this.worker.terminate();
    for (const w of this.waiting.values())
      w.reject(new EngineCallError({ code: 'ERR_WEB_LOCKED', message: 'Locked.' }));
    this.waiting.clear();
  }
}
