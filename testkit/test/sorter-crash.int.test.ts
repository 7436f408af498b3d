import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContentKind, generateKeyPair, initCrypto } from '@komrade/protocol';
import { httpTransport, KomradeClient, newMailbox, targetOf } from '@komrade/client';
import { Redis } from 'ioredis';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis } from '../src/servers.js';
import { spawnService, type ServiceProcess } from '../src/service-process.js';
import { waitMailDrained } from '../src/store-scan.js';

describe('zero loss when the sorter dies (real servers, sorter in its own process)', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let relay: TestRelay;
  let sorter: ServiceProcess | undefined;

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    // operator and purge in this process; the sorter runs as a separate process
    relay = await startRelay({
      natsUrl: nats.url,
      redisUrl: redis.url,
      services: ['operator', 'purge'],
    });
  });

  after(async () => {
    await sorter?.kill('SIGKILL');
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  test('a sorter killed with SIGKILL in the middle of 5,000 messages loses none and duplicates none', async () => {
    const env = { ...relay.env, KOMRADE_LOG_LEVEL: 'info', KOMRADE_SORT_CONCURRENCY: '32' };
    const client = new KomradeClient({ transport: httpTransport({ baseUrl: relay.operatorUrl }) });
    // ten mailboxes of 500: well under the default quota of 1,000 each
    const boxes = Array.from({ length: 10 }, () => newMailbox('test'));
    // the sorter owns mailbox registration: start it for that, then take it away
    sorter = await spawnService('sorter', env);
    for (const b of boxes) await client.createMailbox(b);
    await sorter.kill('SIGTERM');
    const alice = generateKeyPair();
    const total = 5000;
    const messages = Array.from({ length: total }, (_, i) => ({
      to: targetOf(boxes[i % boxes.length] as (typeof boxes)[number]),
      kind: ContentKind.Text,
      content: new TextEncoder().encode(`message ${i}`),
    }));
    // everything is accepted (202: in JetStream) while no sorter runs
    const ids = await client.send(alice, messages);
    assert.equal(ids.length, total);

    const r = new Redis(redis.url);
    try {
      sorter = await spawnService('sorter', env);
      // kill it once it has filed some but not all of the mail
      for (;;) {
        const filed = (
          await Promise.all(
            boxes.map((b) => r.hlen(`km:mb:{${Buffer.from(b.address.id).toString('hex')}}:msg`)),
          )
        ).reduce((a, n) => a + n, 0);
        if (filed >= 500) {
          assert.ok(
            filed < total,
            'the sorter finished before it could be killed; raise the count',
          );
          break;
        }
        await new Promise((res) => setTimeout(res, 5));
      }
      assert.equal(await sorter.kill('SIGKILL'), null);
      sorter = await spawnService('sorter', env);
      await waitMailDrained(nats.url, 120_000);
    } finally {
      r.disconnect();
    }

    const seen = new Map<string, number>();
    for (const b of boxes) {
      const got = await client.receive(b, {
        acceptSender: (k) => Buffer.from(k).equals(Buffer.from(alice.publicKey)),
      });
      assert.deepEqual(got.rejected, []);
      for (const m of got.messages) {
        const t = new TextDecoder().decode(m.opened.body.content);
        seen.set(t, (seen.get(t) ?? 0) + 1);
      }
    }
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    const lost = messages.filter((m) => !seen.has(new TextDecoder().decode(m.content))).length;
    assert.deepEqual(
      { lost, duplicated, delivered: seen.size },
      { lost: 0, duplicated: 0, delivered: total },
    );
  });
});
