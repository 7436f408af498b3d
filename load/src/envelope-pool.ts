import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EnvelopeJob, JobTarget, PackedEnvelopes } from './envelope-job.js';

/** Pre-made envelopes, addressable by index. Views into the buffers the workers made. */
export interface EnvelopeSet {
  readonly bytes: readonly Uint8Array[];
  readonly ids: readonly Uint8Array[];
  /** Index of each envelope's mailbox in the targets it was made for. */
  readonly targets: readonly number[];
  readonly sealed: number;
  readonly synthetic: number;
}

export interface MakeEnvelopes {
  readonly relay: string;
  readonly targets: readonly JobTarget[];
  readonly count: number;
  /** How many of them to seal for real (the rest are synthetic, see envelope-job.ts). */
  readonly sealed: number;
  readonly postageBits: number;
  /** Round-robin start, so successive sets keep spreading over all mailboxes. */
  readonly first?: number;
  readonly ttlSec?: number;
  /** Use at most this many worker threads (to leave CPU to a phase running meanwhile). */
  readonly threads?: number;
}

const CHUNK = 2000;

/**
 * A pool of worker threads that seal and stamp envelopes outside the timed phases
 * (client Themis costs ~4 ms a message and must not be what gets measured). Each
 * worker initialises Themis itself.
 */
export class EnvelopePool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (p: PackedEnvelopes) => void; reject: (e: Error) => void }
  >();
  private seq = 0;

  constructor(threads = Math.max(1, availableParallelism())) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./envelope-worker.js', import.meta.url));
      w.on('message', (m: { seq: number; packed?: PackedEnvelopes; error?: string }) => {
        const p = this.waiting.get(m.seq);
        if (!p) return;
        this.waiting.delete(m.seq);
        if (m.packed) p.resolve(m.packed);
        else p.reject(new Error(m.error ?? 'envelope worker failed'));
      });
      w.on('error', (e) => {
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
      });
      this.workers.push(w);
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  private run(worker: Worker, job: EnvelopeJob): Promise<PackedEnvelopes> {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage({ seq, job });
    });
  }

  /** Makes `count` envelopes in chunks spread over the workers; `onDone` reports progress. */
  async make(o: MakeEnvelopes, onDone?: (made: number) => void): Promise<EnvelopeSet> {
    const first = o.first ?? 0;
    const nowMs = Date.now();
    const jobs: EnvelopeJob[] = [];
    // sealed envelopes are spread evenly over the chunks so every worker shares the Themis work
    const chunks = Math.max(1, Math.ceil(o.count / CHUNK), Math.min(o.sealed, this.threads * 4));
    let sealedLeft = o.sealed;
    for (let c = 0, start = 0; c < chunks; c++) {
      const count = Math.floor(((c + 1) * o.count) / chunks) - Math.floor((c * o.count) / chunks);
      const sealed = Math.min(count, Math.ceil(sealedLeft / (chunks - c)));
      sealedLeft -= sealed;
      if (count > 0)
        jobs.push({
          relay: o.relay,
          targets: o.targets,
          first: first + start,
          count,
          sealed,
          postageBits: o.postageBits,
          ttlSec: o.ttlSec ?? 7 * 86400,
          nowMs,
        });
      start += count;
    }
    const results: PackedEnvelopes[] = new Array<PackedEnvelopes>(jobs.length);
    let next = 0;
    let made = 0;
    await Promise.all(
      this.workers.slice(0, o.threads ?? this.workers.length).map(async (w) => {
        for (;;) {
          const i = next++;
          const job = jobs[i];
          if (!job) return;
          results[i] = await this.run(w, job);
          made += job.count;
          onDone?.(made);
        }
      }),
    );
    const bytes: Uint8Array[] = [];
    const ids: Uint8Array[] = [];
    const targets: number[] = [];
    let sealed = 0;
    for (const r of results) {
      sealed += r.sealed;
      for (let i = 0; i + 1 < r.offsets.length; i++) {
        bytes.push(r.bytes.subarray(r.offsets[i], r.offsets[i + 1]));
        ids.push(r.ids.subarray(i * 16, i * 16 + 16));
        targets.push(r.targets[i] as number);
      }
    }
    return { bytes, ids, targets, sealed, synthetic: bytes.length - sealed };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
