import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dns from 'node:dns';
import { after, before, describe, test } from 'node:test';
import { ContentKind, generateKeyPair, initCrypto, KomradeError } from '@komrade/protocol';
import { httpTransport, KomradeClient, newMailbox, senderIn, targetOf } from '@komrade/client';
import { socksTransport } from '@komrade/client/node';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis } from '../src/servers.js';
import { startTorNetwork, type TorNetwork } from '../src/tor-network.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Local addresses of listening TCP sockets owned by the given PIDs (from `ss -ltnp`). */
function listeners(pids: readonly number[]): string[] {
  const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => pids.some((p) => l.includes(`pid=${p},`)))
    .map((l) => l.trim().split(/\s+/)[3] ?? '');
}

// Records every host name this process asks the system resolver for (http, fetch and net
// all go through dns.lookup), to prove no .onion name ever reaches it.
const lookups: string[] = [];
const realLookup = dns.lookup.bind(dns);
(dns as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]): unknown => {
  lookups.push(host);
  return (realLookup as (...a: unknown[]) => unknown)(host, ...rest);
};

describe('onion gateway: the operator reached only through a real private Tor network', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let relay: TestRelay;
  let tor: TorNetwork;

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({ natsUrl: nats.url, redisUrl: redis.url });
    const port = Number(new URL(relay.operatorUrl).port);
    tor = await startTorNetwork({
      target: port,
      onProgress: (m) => {
        console.log(m);
      },
    });
  });

  after(async () => {
    await tor?.stop();
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  test('two komrades exchange sealed mail where every client request goes through the onion service', async () => {
    const base = `http://${tor.onionHost}`;
    const retries: string[] = [];
    const viaTor = (key: string) =>
      new KomradeClient({
        transport: socksTransport({
          baseUrl: base,
          socksUrl: `socks5h://127.0.0.1:${tor.socksPort}`,
          isolationKey: key,
          timeoutMs: 30_000,
          attempts: 60,
          onRetry: (_n, reason) => retries.push(reason),
        }),
      });
    const alice = { id: generateKeyPair(), c: viaTor('alice-identity'), box: newMailbox('test') };
    const bob = { id: generateKeyPair(), c: viaTor('bob-identity'), box: newMailbox('test') };
    // the first requests wait for the onion descriptor to be published (SOCKS 0xF0 until then)
    await alice.c.createMailbox(alice.box);
    await bob.c.createMailbox(bob.box);
    await alice.c.send(alice.id, [
      { to: targetOf(bob.box), kind: ContentKind.Text, content: enc.encode('hello bob, via tor') },
    ]);
    await bob.c.send(bob.id, [
      {
        to: targetOf(alice.box),
        kind: ContentKind.Text,
        content: enc.encode('hello alice, via tor'),
      },
    ]);
    const read = async (who: typeof alice, from: Uint8Array): Promise<string[]> => {
      for (let i = 0; i < 50; i++) {
        const got = await who.c.receive(who.box, { acceptSender: senderIn([from]) });
        if (got.messages.length > 0)
          return got.messages.map((m) => dec.decode(m.opened.body.content));
        await new Promise((r) => setTimeout(r, 200));
      }
      return [];
    };
    assert.deepEqual(await read(bob, alice.id.publicKey), ['hello bob, via tor']);
    assert.deepEqual(await read(alice, bob.id.publicKey), ['hello alice, via tor']);
  });

  test('the operator and every tor process listen on loopback only', () => {
    const addr = relay.operator?.app.server.address();
    assert.ok(addr && typeof addr === 'object');
    assert.equal(addr.address, '127.0.0.1');
    const all = listeners([process.pid, ...tor.pids]);
    assert.ok(all.length > 0, 'ss found the listening sockets');
    for (const a of all) assert.match(a, /^127\.0\.0\.1:\d+$/, `listening beyond loopback: ${a}`);
  });

  test('the client never resolves an .onion name through DNS, and refuses an onion operator without a proxy', () => {
    // every name this process looked up while the tests above talked to the onion service
    assert.deepEqual(
      lookups.filter((h) => h.endsWith('.onion')),
      [],
      '.onion names went to the system resolver',
    );
    const before = lookups.length;
    assert.throws(
      () => httpTransport({ baseUrl: `http://${tor.onionHost}` }),
      (e: unknown) => e instanceof KomradeError && e.code === 'ERR_CLIENT_UNREACHABLE',
    );
    assert.equal(lookups.length, before, 'refusing looked something up');
  });
});
