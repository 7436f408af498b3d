import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  encodeFetchRequest,
  encodeSessionOpen,
  encodeSessionProof,
  generateKeyPair,
  initCrypto,
  secureMessageSign,
} from '@komrade/protocol';
import { httpTransport, KomradeClient, newMailbox, randomBytes } from '@komrade/client';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis } from '../src/servers.js';

/** Status and error code of a raw POST, whatever the outcome. */
async function attempt(
  url: string,
  path: string,
  body: Uint8Array,
): Promise<{ status: number; code: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(body),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  const code =
    res.status >= 400 ? (JSON.parse(text) as { error: { code: string } }).error.code : 'OK';
  return { status: res.status, code, ms };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe('mailbox credentials are no existence oracle (real servers)', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let relay: TestRelay;

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({ natsUrl: nats.url, redisUrl: redis.url });
  });

  after(async () => {
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  function sessionOpen(mailboxId: Uint8Array, signer: Uint8Array): Uint8Array {
    const proof = encodeSessionProof({
      mailbox: { relay: 'test', id: mailboxId },
      timestampMs: Date.now(),
      nonce: randomBytes(16),
    });
    const signed = secureMessageSign(signer, proof);
    assert.ok(signed.ok);
    return encodeSessionOpen({ id: mailboxId, signedProof: signed.value });
  }

  test('session - a wrong proof and a missing mailbox give the same code in similar time', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
    const real = newMailbox('test');
    await c.createMailbox(real);
    const stranger = generateKeyPair();
    const wrong: number[] = [];
    const missing: number[] = [];
    const codes = new Set<string>();
    // interleaved, after a warm-up, so drift in machine load hits both sides alike
    for (let i = 0; i < 230; i++) {
      const a = await attempt(
        relay.operatorUrl,
        '/v1/sessions',
        sessionOpen(real.address.id, stranger.privateKey),
      );
      const b = await attempt(
        relay.operatorUrl,
        '/v1/sessions',
        sessionOpen(randomBytes(16), stranger.privateKey),
      );
      codes.add(`${a.status} ${a.code}`).add(`${b.status} ${b.code}`);
      if (i >= 30) {
        wrong.push(a.ms);
        missing.push(b.ms);
      }
    }
    assert.deepEqual([...codes], ['401 ERR_MAILBOX_AUTH']);
    const [mw, mm] = [median(wrong), median(missing)];
    assert.ok(
      Math.abs(mw - mm) / Math.max(mw, mm) <= 0.3,
      `medians differ by more than 30%: wrong proof ${mw.toFixed(3)} ms, missing ${mm.toFixed(3)} ms`,
    );
  });

  test('fetch - a wrong token and a missing mailbox give the same code in similar time', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
    const real = newMailbox('test');
    await c.createMailbox(real);
    await c.fetchPage(real); // it has a live session, just not this token
    const wrong: number[] = [];
    const missing: number[] = [];
    const codes = new Set<string>();
    for (let i = 0; i < 330; i++) {
      const a = await attempt(
        relay.operatorUrl,
        '/v1/fetch',
        encodeFetchRequest({ id: real.address.id, token: randomBytes(32), max: 100 }),
      );
      const b = await attempt(
        relay.operatorUrl,
        '/v1/fetch',
        encodeFetchRequest({ id: randomBytes(16), token: randomBytes(32), max: 100 }),
      );
      codes.add(`${a.status} ${a.code}`).add(`${b.status} ${b.code}`);
      if (i >= 30) {
        wrong.push(a.ms);
        missing.push(b.ms);
      }
    }
    assert.deepEqual([...codes], ['401 ERR_MAILBOX_AUTH']);
    const [mw, mm] = [median(wrong), median(missing)];
    assert.ok(
      Math.abs(mw - mm) / Math.max(mw, mm) <= 0.3,
      `medians differ by more than 30%: wrong token ${mw.toFixed(3)} ms, missing ${mm.toFixed(3)} ms`,
    );
  });

  test('session - a replayed proof is refused even for the rightful owner', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
    const real = newMailbox('test');
    await c.createMailbox(real);
    const body = sessionOpen(real.address.id, real.keys.privateKey);
    const first = await attempt(relay.operatorUrl, '/v1/sessions', body);
    const again = await attempt(relay.operatorUrl, '/v1/sessions', body);
    assert.equal(first.status, 200);
    assert.deepEqual([again.status, again.code], [401, 'ERR_MAILBOX_AUTH']);
  });

  test('session - a proof signed long ago is refused', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
    const real = newMailbox('test');
    await c.createMailbox(real);
    const proof = encodeSessionProof({
      mailbox: real.address,
      timestampMs: Date.now() - 3_600_000,
      nonce: randomBytes(16),
    });
    const signed = secureMessageSign(real.keys.privateKey, proof);
    assert.ok(signed.ok);
    const r = await attempt(
      relay.operatorUrl,
      '/v1/sessions',
      encodeSessionOpen({ id: real.address.id, signedProof: signed.value }),
    );
    assert.deepEqual([r.status, r.code], [401, 'ERR_MAILBOX_AUTH']);
  });
});
