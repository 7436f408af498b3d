import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeFetchRequest,
  encodeSessionOpen,
  encodeSessionProof,
  generateKeyPair,
  secureMessageSign,
} from '@komrade/protocol';
import { httpTransport, KomradeClient, newMailbox, randomBytes } from '@komrade/client';
import { useRelay } from '../src/relay-fixture.js';

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
  const fx = useRelay();

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

  /**
   * Alternates two kinds of failing request, after a warm-up, so drift in machine load
   * hits both alike; returns the set of answers and the two median times.
   */
  async function compare(
    path: string,
    rounds: number,
    one: () => Uint8Array,
    other: () => Uint8Array,
  ): Promise<{ answers: string[]; medians: [number, number] }> {
    const times: [number[], number[]] = [[], []];
    const answers = new Set<string>();
    for (let i = 0; i < rounds + 30; i++) {
      const a = await attempt(fx.relay.operatorUrl, path, one());
      const b = await attempt(fx.relay.operatorUrl, path, other());
      answers.add(`${a.status} ${a.code}`).add(`${b.status} ${b.code}`);
      if (i >= 30) {
        times[0].push(a.ms);
        times[1].push(b.ms);
      }
    }
    return { answers: [...answers], medians: [median(times[0]), median(times[1])] };
  }

  function assertSimilar([x, y]: [number, number], what: string): void {
    assert.ok(
      Math.abs(x - y) / Math.max(x, y) <= 0.3,
      `medians differ by more than 30%: ${what} ${x.toFixed(3)} ms vs missing mailbox ${y.toFixed(3)} ms`,
    );
  }

  test('session - a wrong proof and a missing mailbox give the same code in similar time', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: fx.relay.operatorUrl }) });
    const real = newMailbox('test');
    await c.createMailbox(real);
    const stranger = generateKeyPair();
    const r = await compare(
      '/v1/sessions',
      200,
      () => sessionOpen(real.address.id, stranger.privateKey),
      () => sessionOpen(randomBytes(16), stranger.privateKey),
    );
    assert.deepEqual(r.answers, ['401 ERR_MAILBOX_AUTH']);
    assertSimilar(r.medians, 'wrong proof');
  });

  test('fetch - a wrong token and a missing mailbox give the same code in similar time', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: fx.relay.operatorUrl }) });
    const real = newMailbox('test');
    await c.createMailbox(real);
    await c.fetchPage(real); // it has a live session, just not this token
    const r = await compare(
      '/v1/fetch',
      300,
      () => encodeFetchRequest({ id: real.address.id, token: randomBytes(32), max: 100 }),
      () => encodeFetchRequest({ id: randomBytes(16), token: randomBytes(32), max: 100 }),
    );
    assert.deepEqual(r.answers, ['401 ERR_MAILBOX_AUTH']);
    assertSimilar(r.medians, 'wrong token');
  });

  test('session - a replayed proof is refused even for the rightful owner', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: fx.relay.operatorUrl }) });
    const real = newMailbox('test');
    await c.createMailbox(real);
    const body = sessionOpen(real.address.id, real.keys.privateKey);
    const first = await attempt(fx.relay.operatorUrl, '/v1/sessions', body);
    const again = await attempt(fx.relay.operatorUrl, '/v1/sessions', body);
    assert.equal(first.status, 200);
    assert.deepEqual([again.status, again.code], [401, 'ERR_MAILBOX_AUTH']);
  });

  test('session - a proof signed long ago is refused', async () => {
    const c = new KomradeClient({ transport: httpTransport({ baseUrl: fx.relay.operatorUrl }) });
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
      fx.relay.operatorUrl,
      '/v1/sessions',
      encodeSessionOpen({ id: real.address.id, signedProof: signed.value }),
    );
    assert.deepEqual([r.status, r.code], [401, 'ERR_MAILBOX_AUTH']);
  });
});
