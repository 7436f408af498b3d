// Worker thread entry: initialises Themis once, then answers EnvelopeJobs with packed
// envelopes (buffers transferred, not copied).
import { parentPort } from 'node:worker_threads';
import { initCrypto, type KeyPair } from '@komrade/protocol';
import { newSender, runEnvelopeJob, type EnvelopeJob } from './envelope-job.js';

const port = parentPort;
if (!port) throw new Error('envelope-worker must run in a worker thread');

let sender: KeyPair | undefined;

port.on('message', (msg: { seq: number; job: EnvelopeJob }) => {
  void (async () => {
    try {
      if (msg.job.sealed > 0 && !sender) {
        await initCrypto();
        sender = newSender();
      }
      const packed = runEnvelopeJob(msg.job, sender);
      port.postMessage({ seq: msg.seq, packed }, [
        packed.bytes.buffer as ArrayBuffer,
        packed.offsets.buffer as ArrayBuffer,
        packed.ids.buffer as ArrayBuffer,
        packed.targets.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      port.postMessage({ seq: msg.seq, error: e instanceof Error ? e.message : String(e) });
    }
  })();
});
