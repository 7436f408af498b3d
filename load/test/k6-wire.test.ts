import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import {
  decodeAckRequest,
  decodeEnvelopeBatch,
  decodeFetchRequest,
  encodeEnvelope,
  encodeFetchResponse,
  envelopeIdOf,
  POSTAGE_SIZE,
} from '@komrade/protocol';

/** The k6 wire helpers, loaded in Node with node:crypto standing in for k6/crypto. */
interface K6Wire {
  EnvelopeFile: new (file: ArrayBuffer) => {
    count: number;
    envelope(i: number): ArrayBuffer;
    batch(first: number, n: number): ArrayBuffer;
  };
  fetchRequest(id: Uint8Array, token: Uint8Array, max: number): ArrayBuffer;
  ackRequest(id: Uint8Array, token: Uint8Array, ids: Uint8Array[]): ArrayBuffer;
  envelopeId(env: Uint8Array): Uint8Array;
  fetchResponseIds(body: ArrayBuffer): { remaining: number; ids: Uint8Array[] };
}

const SHIM = `import { createHash } from 'node:crypto';
const sha256 = (b) => { const d = createHash('sha256').update(new Uint8Array(b)).digest();
  return d.buffer.slice(d.byteOffset, d.byteOffset + d.length); };`;

async function loadK6Wire(): Promise<K6Wire> {
  const src = await readFile(
    fileURLToPath(new URL('../../k6/lib/wire.ts', import.meta.url)),
    'utf8',
  );
  const js = ts
    .transpileModule(src, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    .outputText.replace("import { sha256 } from 'k6/crypto';", SHIM);
  assert.ok(js.includes('createHash'), 'k6/crypto import replaced');
  return (await import(`data:text/javascript,${encodeURIComponent(js)}`)) as K6Wire;
}

const rand = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

function envelope(relay: string): Uint8Array {
  return encodeEnvelope({
    to: { relay, id: rand(16) },
    expiryHour: 500_000,
    postage: rand(POSTAGE_SIZE),
    ephemeralKey: rand(45),
    ciphertext: rand(1076),
  });
}

describe('k6 wire helpers agree with the protocol codecs', () => {
  let k6: K6Wire;
  const envs = [envelope('bench'), envelope('relay.example'), envelope('x')];
  before(async () => {
    k6 = await loadK6Wire();
  });

  test('k6 wire - envelope files give single envelopes and EnvelopeBatch bodies', () => {
    const framed = new Uint8Array(envs.reduce((n, e) => n + 4 + e.length, 0));
    const view = new DataView(framed.buffer);
    let at = 0;
    for (const e of envs) {
      view.setUint32(at, e.length);
      framed.set(e, at + 4);
      at += 4 + e.length;
    }
    const file = new k6.EnvelopeFile(framed.buffer);
    assert.equal(file.count, 3);
    assert.deepEqual(new Uint8Array(file.envelope(1)), envs[1]);
    const batch = decodeEnvelopeBatch(new Uint8Array(file.batch(1, 5)));
    assert.ok(batch.ok);
    assert.deepEqual(
      batch.value.map((e) => e.bytes),
      envs.slice(1),
    );
  });

  test('k6 wire - fetch and ack requests decode, fetch responses yield envelope ids', () => {
    const id = rand(16);
    const token = rand(32);
    const f = decodeFetchRequest(new Uint8Array(k6.fetchRequest(id, token, 300)));
    assert.ok(f.ok);
    assert.deepEqual([f.value.id, f.value.token, f.value.max], [id, token, 300]);
    const ids = envs.map((e) => envelopeIdOf(e, e[4] as number));
    const a = decodeAckRequest(new Uint8Array(k6.ackRequest(id, token, ids)));
    assert.ok(a.ok);
    assert.deepEqual(a.value.ids, ids);
    const res = encodeFetchResponse({ remaining: 7, envelopes: envs });
    const page = k6.fetchResponseIds(res.slice().buffer);
    assert.equal(page.remaining, 7);
    assert.deepEqual(page.ids, ids);
  });
});
