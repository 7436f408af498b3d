import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  ContentKind,
  decodeAccepted,
  encodeEnvelopeBatch,
  encodeErrorReply,
  generateKeyPair,
  initCrypto,
  mintPostage,
  postageBits,
  sealMail,
  withPostage,
  type DecodedEnvelope,
} from '@komrade/protocol';
import { createLogger } from '@komrade/service-runtime';
import { buildApp } from '../src/app.js';
import { operatorConfig } from '../src/config.js';
import type { OperatorDeps } from '../src/operator-deps.js';
import { PostageGovernor } from '../src/postage-governor.js';

function randomId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

function deps(over: Partial<OperatorDeps> = {}): OperatorDeps & { published: DecodedEnvelope[] } {
  const published: DecodedEnvelope[] = [];
  return {
    config: operatorConfig({ KOMRADE_RELAY_NAME: 'unit', KOMRADE_BODY_LIMIT_BYTES: '200000' }),
    log: createLogger('operator', 'silent'),
    mail: { publish: async (e) => void published.push(...e) },
    forward: async () => encodeErrorReply('ERR_MAILBOX_AUTH'),
    postage: new PostageGovernor({ baseBits: 4, auto: false, targetRps: 1000 }),
    now: Date.now,
    ready: () => true,
    published,
    ...over,
  };
}

function envelope(
  relay = 'unit',
  bits = 4,
  expiryHour = Math.floor(Date.now() / 3_600_000) + 5,
): Uint8Array {
  const s = sealMail({
    to: { relay, id: randomId() },
    mailboxKey: generateKeyPair().publicKey,
    sender: generateKeyPair(),
    kind: ContentKind.Text,
    content: new TextEncoder().encode('x'),
    expiryHour,
    timestampMs: Date.now(),
    messageId: randomId(),
  });
  assert.ok(s.ok);
  return withPostage(s.value.bytes, s.value.relayLength, mintPostage(s.value.id, bits));
}

const octet = { 'content-type': 'application/octet-stream' };

describe('operator HTTP app (in-memory sink)', () => {
  before(async () => {
    await initCrypto();
  });

  test('mail - a batch is answered 202 with the ids, only after the sink stored it', async () => {
    const d = deps();
    const app = buildApp(d);
    const batch = [envelope(), envelope()];
    const res = await app.inject({
      method: 'POST',
      url: '/v1/mail',
      headers: octet,
      payload: Buffer.from(encodeEnvelopeBatch(batch)),
    });
    assert.equal(res.statusCode, 202);
    const ids = decodeAccepted(new Uint8Array(res.rawPayload));
    assert.ok(ids.ok);
    assert.equal(ids.value.length, 2);
    assert.deepEqual(
      d.published.map((e) => Buffer.from(e.id).toString('hex')),
      ids.value.map((i) => Buffer.from(i).toString('hex')),
    );
  });

  test('mail - a failing sink gives a retryable 503 and no 202', async () => {
    const app = buildApp(
      deps({
        mail: {
          publish: async () => {
            const { KomradeError } = await import('@komrade/protocol');
            throw new KomradeError('ERR_SERVICE_UNAVAILABLE');
          },
        },
      }),
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/mail',
      headers: octet,
      payload: Buffer.from(envelope()),
    });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), {
      error: {
        code: 'ERR_SERVICE_UNAVAILABLE',
        message: 'The relay is busy or partly down; try again.',
        retryable: true,
      },
    });
  });

  test('mail - weak postage is refused with 402 and the current difficulty, nothing stored', async () => {
    const d = deps();
    const app = buildApp(d);
    let weak = envelope('unit', 0);
    // make sure the stamp really is weaker than required
    while (true) {
      const { decodeEnvelope } = await import('@komrade/protocol');
      const dec = decodeEnvelope(weak);
      assert.ok(dec.ok);
      if (postageBits(dec.value.id, dec.value.postage) < 4) break;
      weak = envelope('unit', 0);
    }
    const res = await app.inject({
      method: 'POST',
      url: '/v1/mail',
      headers: octet,
      payload: Buffer.from(weak),
    });
    assert.equal(res.statusCode, 402);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_POSTAGE_INSUFFICIENT');
    assert.equal(res.headers['komrade-postage-bits'], '4');
    assert.equal(d.published.length, 0);
  });

  test('mail - one bad envelope in a batch refuses the whole batch', async () => {
    const d = deps();
    const app = buildApp(d);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/mail',
      headers: octet,
      payload: Buffer.from(encodeEnvelopeBatch([envelope(), envelope('elsewhere')])),
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_RELAY_UNKNOWN');
    assert.equal(d.published.length, 0);
  });

  test('mail - expiry in the past or beyond the maximum is refused', async () => {
    const app = buildApp(deps());
    const nowHour = Math.floor(Date.now() / 3_600_000);
    for (const h of [nowHour - 2, nowHour + 24 * 8]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/mail',
        headers: octet,
        payload: Buffer.from(envelope('unit', 4, h)),
      });
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_EXPIRY_INVALID');
    }
  });

  const table: [string, string, Record<string, string>, Buffer, number, string][] = [
    ['garbage', '/v1/mail', octet, Buffer.from('hello'), 400, 'ERR_WIRE_MAGIC'],
    ['empty', '/v1/fetch', octet, Buffer.alloc(0), 400, 'ERR_WIRE_TRUNCATED'],
    [
      'json',
      '/v1/mail',
      { 'content-type': 'application/json' },
      Buffer.from('{}'),
      415,
      'ERR_HTTP_CONTENT_TYPE',
    ],
    ['too large', '/v1/mail', octet, Buffer.alloc(300_000), 413, 'ERR_HTTP_TOO_LARGE'],
    ['unknown path', '/v1/nope', octet, Buffer.alloc(1), 404, 'ERR_HTTP_NOT_FOUND'],
  ];
  for (const [name, url, headers, payload, status, code] of table) {
    test(`errors - ${name} gets ${status} ${code} and nothing internal`, async () => {
      const app = buildApp(deps());
      const res = await app.inject({ method: 'POST', url, headers, payload });
      assert.equal(res.statusCode, status);
      const body = res.json<{ error: Record<string, unknown> }>();
      assert.equal(body.error['code'], code);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'retryable']);
    });
  }

  test('errors - a handler crash is a 500 with the generic message, not the exception text', async () => {
    const app = buildApp(
      deps({
        forward: async () => {
          throw new Error('secret internal detail at /srv/x');
        },
      }),
    );
    const { encodeFetchRequest } = await import('@komrade/protocol');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/fetch',
      headers: octet,
      payload: Buffer.from(
        encodeFetchRequest({ id: randomId(), token: new Uint8Array(32), max: 1 }),
      ),
    });
    assert.equal(res.statusCode, 500);
    assert.equal(res.body.includes('secret'), false);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_SERVICE_INTERNAL');
  });

  test('mailbox routes - a service error reply keeps its code and status', async () => {
    const app = buildApp(deps());
    const { encodeFetchRequest } = await import('@komrade/protocol');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/fetch',
      headers: octet,
      payload: Buffer.from(
        encodeFetchRequest({ id: randomId(), token: new Uint8Array(32), max: 1 }),
      ),
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_MAILBOX_AUTH');
  });
});

describe('postage governor', () => {
  test('raises difficulty above the target rate and lowers it back, never below base', () => {
    let now = 0;
    const g = new PostageGovernor({ baseBits: 8, auto: true, targetRps: 100, now: () => now });
    g.accepted(500);
    g.tick(1);
    assert.equal(g.currentBits, 9);
    g.accepted(500);
    now += 1000;
    g.tick(1);
    assert.equal(g.currentBits, 10);
    // stamps made at the old difficulty are still taken for the grace period
    assert.equal(g.acceptedBits, 8);
    now += 20_000;
    assert.equal(g.acceptedBits, 10);
    for (let i = 0; i < 5; i++) g.tick(1);
    assert.equal(g.currentBits, 8);
  });

  test('stays put when automatic raising is off', () => {
    const g = new PostageGovernor({ baseBits: 8, auto: false, targetRps: 1 });
    g.accepted(1000);
    g.tick(1);
    assert.equal(g.currentBits, 8);
  });
});
