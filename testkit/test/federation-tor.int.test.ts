/**
 * Federation through a private Tor network (SPEC.md sections 19 and 20.9): beta is
 * reachable by alpha only as an onion service, through alpha's SOCKS proxy
 * (KOMRADE_RELAY_SOCKS), as relays peer in production; beta reaches alpha over loopback.
 * Lookups, a collective on beta joined from alpha, collective posts both ways and a burst
 * of mail cross that link.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ContentKind, generateKeyPair, initCrypto, relayFingerprint } from '@komrade/protocol';
import { httpTransport, KomradeClient, newMailbox, targetOf } from '@komrade/client';
import type { Peer } from '@komrade/service-runtime';
import { findFreePort } from '@komrade/deploy';
import { eventually, feedOf, retryWhile, runKomrade } from '../src/cli-runner.js';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';
import { startTorNetwork, type TorNetwork } from '../src/tor-network.js';

const PASS = 'a long test passphrase';

describe('federation through a private Tor network (beta is an onion service to alpha)', () => {
  const servers: RunningServer[] = [];
  let alpha: TestRelay | undefined;
  let beta: TestRelay | undefined;
  let tor: TorNetwork | undefined;
  let root: string;

  const run = (who: string, relay: TestRelay | undefined, args: readonly string[]) =>
    runKomrade(root, PASS, who, (relay as TestRelay).operatorUrl, args);

  before(async () => {
    await initCrypto();
    const [natsA, natsB, redisA, redisB] = [
      await startNats(),
      await startNats(),
      await startRedis(),
      await startRedis(),
    ];
    servers.push(natsA, natsB, redisA, redisB);
    const [keyA, keyB] = [generateKeyPair(), generateKeyPair()];
    const [portA, portB] = [await findFreePort(), await findFreePort()];
    const fast = { KOMRADE_FORWARD_RETRY_MIN_MS: '200', KOMRADE_FORWARD_RETRY_MAX_MS: '2000' };
    const peerA: Peer = {
      name: 'alpha',
      url: `http://127.0.0.1:${portA}`,
      fingerprint: relayFingerprint(keyA.publicKey),
    };
    beta = await startRelay({
      natsUrl: natsB.url,
      redisUrl: redisB.url,
      relayName: 'beta',
      relayKey: keyB,
      peers: [peerA],
      operatorPort: portB,
      env: fast,
    });
    tor = await startTorNetwork({ target: portB });
    const peerB: Peer = {
      name: 'beta',
      url: `http://${tor.onionHost}`,
      fingerprint: relayFingerprint(keyB.publicKey),
    };
    alpha = await startRelay({
      natsUrl: natsA.url,
      redisUrl: redisA.url,
      relayName: 'alpha',
      relayKey: keyA,
      peers: [peerB],
      operatorPort: portA,
      env: { ...fast, KOMRADE_RELAY_SOCKS: `socks5h://127.0.0.1:${tor.socksPort}` },
    });
    root = await mkdtemp(join(tmpdir(), 'komrade-federation-tor-'));
  });

  after(async () => {
    await alpha?.stop();
    await beta?.stop();
    await tor?.stop();
    for (const s of servers.reverse()) await s.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('federation over tor - a lookup of bob@beta from alpha crosses the onion link', async () => {
    await run('alice', alpha, ['register', 'alice']);
    const bob = (await run('bob', beta, ['register', 'bob'])) as { fingerprint: string };
    // the first requests wait for the onion service's descriptor to be published
    const seen = await eventually(
      'a lookup through the onion service',
      async () => {
        try {
          return (await run('alice', alpha, ['whois', 'bob@beta'])) as { fingerprint: string };
        } catch (e) {
          if (e instanceof Error && /ERR_PEER_UNREACHABLE|ERR_SERVICE_TIMEOUT/.test(e.message))
            return undefined;
          throw e;
        }
      },
      180_000,
    );
    assert.equal(seen.fingerprint, bob.fingerprint);
  });

  test('federation over tor - alice (alpha) joins @onionville on beta; posts reach both, each once', async () => {
    await run('bob', beta, ['collective', 'create', 'onionville']);
    assert.equal(
      ((await run('alice', alpha, ['join', 'onionville@beta'])) as { name: string }).name,
      'onionville@beta',
    );
    const v = (await run('bob', beta, ['vouch', 'onionville', 'alice@alpha'])) as {
      admitted: boolean;
    };
    assert.equal(v.admitted, true);
    // the key grant comes to alice over the loopback link; her post goes to beta over Tor
    await retryWhile('alice holding the group key', 'ERR_COLLECTIVE_NO_KEY', () =>
      run('alice', alpha, ['post', '--to', '@onionville@beta', 'from alpha, over tor']),
    );
    await run('bob', beta, ['post', '--to', '@onionville', 'from beta']);
    assert.deepEqual(await feedOf((a) => run('alice', alpha, a), 2), [
      ['@onionville@beta', 'alice', 'from alpha, over tor'],
      ['@onionville@beta', 'bob@beta', 'from beta'],
    ]);
    assert.deepEqual(await feedOf((a) => run('bob', beta, a), 2), [
      ['@onionville', 'alice@alpha', 'from alpha, over tor'],
      ['@onionville', 'bob', 'from beta'],
    ]);
  });

  test('federation over tor - a burst of mail from alpha to beta arrives exactly once', async () => {
    const fromAlpha = new KomradeClient({
      transport: httpTransport({ baseUrl: (alpha as TestRelay).operatorUrl }),
    });
    const atBeta = new KomradeClient({
      transport: httpTransport({ baseUrl: (beta as TestRelay).operatorUrl }),
    });
    const box = newMailbox('beta');
    await atBeta.createMailbox(box);
    const total = 100;
    await fromAlpha.send(
      generateKeyPair(),
      Array.from({ length: total }, (_, i) => ({
        to: targetOf(box),
        kind: ContentKind.Text,
        content: new TextEncoder().encode(`over tor ${i}`),
      })),
    );
    const texts: string[] = [];
    await eventually(`${total} messages at beta`, async () => {
      const r = await atBeta.receive(box);
      assert.deepEqual(r.rejected, []);
      texts.push(...r.messages.map((m) => new TextDecoder().decode(m.opened.body.content)));
      return texts.length >= total ? true : undefined;
    });
    assert.deepEqual(
      [...texts].sort(),
      Array.from({ length: total }, (_, i) => `over tor ${i}`).sort(),
    );
  });
});
