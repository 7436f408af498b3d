import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ContentKind,
  encodeAckRequest,
  encodeEnvelopeBatch,
  encodeFetchRequest,
  encodeMailboxCreate,
  generateKeyPair,
  isErrorCode,
  mintPostage,
  sealMail,
  withPostage,
} from '@komrade/protocol';
import { randomBytes } from '@komrade/client';
import { useRelay } from '../src/relay-fixture.js';

describe('operator fuzz (real servers)', () => {
  const fx = useRelay();

  test('20,000 random and mutated bodies get only typed answers below 500, and memory stays bounded', async () => {
    const mb = generateKeyPair();
    const sender = generateKeyPair();
    const sealed = sealMail({
      to: { relay: 'test', id: randomBytes(16) },
      mailboxKey: mb.publicKey,
      sender,
      kind: ContentKind.Text,
      content: new TextEncoder().encode('seed'),
      expiryHour: Math.floor(Date.now() / 3_600_000) + 2,
      timestampMs: Date.now(),
      messageId: randomBytes(16),
    });
    assert.ok(sealed.ok);
    const envelope = withPostage(
      sealed.value.bytes,
      sealed.value.relayLength,
      mintPostage(sealed.value.id, 2),
    );
    const seeds: [string, Uint8Array][] = [
      ['/v1/mail', encodeEnvelopeBatch([envelope])],
      ['/v1/mail', envelope],
      ['/v1/mailboxes', encodeMailboxCreate({ id: randomBytes(16), publicKey: mb.publicKey })],
      ['/v1/fetch', encodeFetchRequest({ id: randomBytes(16), token: randomBytes(32), max: 5 })],
      [
        '/v1/ack',
        encodeAckRequest({ id: randomBytes(16), token: randomBytes(32), ids: [randomBytes(16)] }),
      ],
      ['/v1/sessions', new Uint8Array(80)],
    ];
    const paths = [...new Set(seeds.map(([p]) => p))];
    const mutate = fc.tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
      fc.option(fc.nat()),
    );
    const cases: [string, Uint8Array][] = [
      ...fc.sample(fc.tuple(fc.constantFrom(...paths), fc.uint8Array({ maxLength: 2048 })), 10_000),
      ...fc.sample(mutate, 10_000).map(([[path, seed], flips, cut]): [string, Uint8Array] => {
        const b = seed.slice();
        for (const [at, v] of flips) b[at % b.length] = v;
        return [path, cut === null ? b : b.subarray(0, cut % (b.length + 1))];
      }),
    ];
    const rssBefore = process.memoryUsage.rss();
    const statuses = new Map<number, number>();
    const badAnswers: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const [path, body] = cases[next++] as [string, Uint8Array];
        const res = await fetch(`${fx.relay.operatorUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(body),
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 400) {
          const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
          if (!isErrorCode(code) || res.status >= 500)
            badAnswers.push(`${res.status} ${String(code)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, () => worker()));
    assert.equal(cases.length, 20_000);
    assert.deepEqual(
      badAnswers.slice(0, 5),
      [],
      `untyped or 5xx answers: ${badAnswers.length}; errors logged: ${fx.relay.logs.lines
        .filter((l) => l.includes('"level":50'))
        .slice(0, 3)
        .join('\n')}`,
    );
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, 20_000);
    // still up and answering
    const info = await fetch(`${fx.relay.operatorUrl}/v1/info`);
    assert.equal(info.status, 200);
    const growthMiB = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;
    assert.ok(growthMiB < 256, `RSS grew by ${growthMiB.toFixed(0)} MiB`);
  });
});
