/**
 * Federation end to end (SPEC.md section 19): two complete relays, "alpha" and "beta",
 * each with its own nats-server, redis-server and four services and its own relay key,
 * peered with each other over loopback HTTP. Komrades on different relays meet and talk
 * through the real `komrade` binary; the receiving relay is stopped during a burst and
 * every message still arrives exactly once; a forged relay (the right name, the wrong key)
 * is refused and nothing it sent reaches a mailbox.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  ContentKind,
  decodeEnvelope,
  decodeRelayMailReceipt,
  encodeCollectiveShow,
  encodeEnvelopeBatch,
  encodeRelayFanout,
  encodeRemoteCollective,
  FanoutItemKind,
  MAIL_CONSUMER,
  ReceiptOutcome,
  STREAMS,
  type DecodedEnvelope,
  generateKeyPair,
  initCrypto,
  mintPostage,
  openRelayDescriptor,
  OUTBOUND_STREAM,
  outboundConsumer,
  relayFingerprint,
  RelayKind,
  sealMail,
  sealRelayMessage,
  withPostage,
  type KeyPair,
} from '@komrade/protocol';
import { httpTransport, KomradeClient, newMailbox, targetOf } from '@komrade/client';
import { PeerClient, type Peer } from '@komrade/service-runtime';
import { findFreePort } from '@komrade/deploy';
import { eventually, feedOf, retryWhile, runKomrade } from '../src/cli-runner.js';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';
import { scrapeMetric } from '../src/prometheus-text.js';
import { dumpContains, dumpRedis } from '../src/store-scan.js';

const PASS = 'a long test passphrase';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Messages the sorter has not finished with in a relay's mail stream. */
async function mailPending(natsUrl: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const ci = await jsm.consumers.info(STREAMS.mail.name, MAIL_CONSUMER);
    return ci.num_pending + ci.num_ack_pending;
  } finally {
    await nc.close();
  }
}

function expectDecoded(bytes: Uint8Array): DecodedEnvelope {
  const d = decodeEnvelope(bytes);
  assert.ok(d.ok);
  return d.value;
}

/** Envelopes still waiting in a relay's outbound stream for `peer`. */
async function outboundPending(natsUrl: string, peer: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const ci = await jsm.consumers.info(OUTBOUND_STREAM.name, outboundConsumer(peer));
    return ci.num_pending + ci.num_ack_pending;
  } finally {
    await nc.close();
  }
}

describe('federation: two relays exchange sealed mail (real servers)', () => {
  const servers: RunningServer[] = [];
  let natsA: RunningServer;
  let natsB: RunningServer;
  let redisA: RunningServer;
  let redisB: RunningServer;
  let alpha: TestRelay;
  let beta: TestRelay | undefined;
  let keyA: KeyPair;
  let keyB: KeyPair;
  let peerA: Peer;
  let peerB: Peer;
  let root: string;

  const FAST_RETRY = { KOMRADE_FORWARD_RETRY_MIN_MS: '200', KOMRADE_FORWARD_RETRY_MAX_MS: '2000' };
  const startBeta = (): Promise<TestRelay> =>
    startRelay({
      natsUrl: natsB.url,
      redisUrl: redisB.url,
      relayName: 'beta',
      relayKey: keyB,
      peers: [peerA],
      operatorPort: Number(new URL(peerB.url).port),
      env: { ...FAST_RETRY, KOMRADE_LOG_LEVEL: 'info' },
    });

  before(async () => {
    await initCrypto();
    natsA = await startNats();
    servers.push(natsA);
    natsB = await startNats();
    servers.push(natsB);
    redisA = await startRedis();
    servers.push(redisA);
    redisB = await startRedis();
    servers.push(redisB);
    keyA = generateKeyPair();
    keyB = generateKeyPair();
    const [portA, portB] = [await findFreePort(), await findFreePort()];
    peerA = {
      name: 'alpha',
      url: `http://127.0.0.1:${portA}`,
      fingerprint: relayFingerprint(keyA.publicKey),
    };
    peerB = {
      name: 'beta',
      url: `http://127.0.0.1:${portB}`,
      fingerprint: relayFingerprint(keyB.publicKey),
    };
    alpha = await startRelay({
      natsUrl: natsA.url,
      redisUrl: redisA.url,
      relayName: 'alpha',
      relayKey: keyA,
      peers: [peerB],
      operatorPort: portA,
      env: { ...FAST_RETRY, KOMRADE_LOG_LEVEL: 'info' },
    });
    beta = await startBeta();
    root = await mkdtemp(join(tmpdir(), 'komrade-federation-'));
  });

  after(async () => {
    await beta?.stop();
    await alpha?.stop();
    for (const s of servers.reverse()) await s.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Runs the real CLI for `who`, at home on `relay`; resolves with its parsed --json output. */
  const komrade = (who: string, relay: TestRelay, args: readonly string[]): Promise<unknown> =>
    runKomrade(root, PASS, who, relay.operatorUrl, args);

  test('federation - each relay serves a descriptor signed by its own key', async () => {
    for (const [relay, key, name] of [
      [alpha, keyA, 'alpha'],
      [beta as TestRelay, keyB, 'beta'],
    ] as const) {
      const res = await fetch(`${relay.operatorUrl}/v1/relay/descriptor`);
      assert.equal(res.status, 200);
      const d = openRelayDescriptor(
        new Uint8Array(await res.arrayBuffer()),
        relayFingerprint(key.publicKey),
      );
      assert.ok(d.ok);
      assert.equal(d.value.relay, name);
    }
  });

  test('federation - alice (alpha) and bob (beta) look each other up, meet and talk both ways with the komrade CLI', async () => {
    const b = beta as TestRelay;
    await komrade('alice', alpha, ['register', 'alice']);
    const bob = (await komrade('bob', b, ['register', 'bob'])) as { fingerprint: string };
    // a lookup on another relay goes through the home relay, which asks its peer
    const seen = (await komrade('alice', alpha, ['whois', 'bob@beta'])) as {
      name: string;
      fingerprint: string;
    };
    assert.deepEqual([seen.name, seen.fingerprint], ['bob', bob.fingerprint]);

    const m = (await komrade('alice', alpha, ['meet', 'bob@beta', '--note', 'from alpha'])) as {
      name: string;
      state: string;
    };
    assert.deepEqual([m.name, m.state], ['bob@beta', 'requested']);
    // the request crosses relays by forwarding: wait until bob's relay has it
    const req = await eventually('the contact request at beta', async () => {
      const r = (await komrade('bob', b, ['requests'])) as {
        requests: { name: string; note: string }[];
      };
      return r.requests.length > 0 ? r.requests : undefined;
    });
    assert.deepEqual(
      req.map((r) => [r.name, r.note]),
      [['alice@alpha', 'from alpha']],
    );
    await komrade('bob', b, ['accept', 'alice@alpha']);
    await eventually('the accept at alpha', async () => {
      const c = (await komrade('alice', alpha, ['contacts'])) as { name: string; state: string }[];
      return c.some((x) => x.name === 'bob@beta' && x.state === 'established') ? true : undefined;
    });

    await komrade('alice', alpha, ['send', 'bob@beta', 'hello bob, from alpha']);
    await komrade('bob', b, ['send', 'alice@alpha', 'hello alice, from beta']);
    await komrade('bob', b, ['send', 'alice@alpha', 'second line']);
    type Inbox = { messages: { from: string; text: string }[]; rejected: number };
    const inbox = async (who: string, relay: TestRelay, want: number) => {
      const got: { from: string; text: string }[] = [];
      await eventually(`${want} messages for ${who}`, async () => {
        const r = (await komrade(who, relay, ['inbox'])) as Inbox;
        assert.equal(r.rejected, 0);
        got.push(...r.messages);
        return got.length >= want ? true : undefined;
      });
      return got.map((x) => [x.from, x.text]);
    };
    assert.deepEqual(await inbox('bob', b, 1), [['alice@alpha', 'hello bob, from alpha']]);
    assert.deepEqual(await inbox('alice', alpha, 2), [
      ['bob@beta', 'hello alice, from beta'],
      ['bob@beta', 'second line'],
    ]);
  });

  test('federation - a collective on alpha admits bob (beta); its posts reach members on both relays, both ways', async () => {
    const b = beta as TestRelay;
    // alice and bob are registered by the test above; carol is a second member on alpha
    await komrade('carol', alpha, ['register', 'carol']);
    await komrade('alice', alpha, ['collective', 'create', 'portland']);
    await komrade('carol', alpha, ['join', 'portland']);
    await komrade('alice', alpha, ['vouch', 'portland', 'carol']);
    // bob joins through his home relay; the candidacy names his collective mailbox on beta
    const joined = (await komrade('bob', b, ['join', 'portland@alpha'])) as { name: string };
    assert.equal(joined.name, 'portland@alpha');
    type View = { candidates: { vouches: number }[]; members: unknown[]; you: string | null };
    const seen = (await komrade('bob', b, ['collective', 'show', 'portland@alpha'])) as View;
    assert.equal(seen.you, 'candidate');
    assert.equal(seen.members.length, 2);
    const v = (await komrade('alice', alpha, ['vouch', 'portland', 'bob@beta'])) as {
      admitted: boolean;
      keyHandedOver: boolean;
    };
    assert.deepEqual([v.admitted, v.keyHandedOver], [true, true]);
    // the group key crosses to bob's collective mailbox on beta by forwarding
    await retryWhile('bob holding the group key', 'ERR_COLLECTIVE_NO_KEY', () =>
      komrade('bob', b, ['post', '--to', '@portland@alpha', 'hello portland, from beta']),
    );
    await komrade('alice', alpha, ['post', '--to', '@portland', 'hello portland, from alpha']);

    // every member, on either relay, has both posts once, with checked authors
    assert.deepEqual(await feedOf((a) => komrade('bob', b, a), 2), [
      ['@portland@alpha', 'alice@alpha', 'hello portland, from alpha'],
      ['@portland@alpha', 'bob', 'hello portland, from beta'],
    ]);
    assert.deepEqual(await feedOf((a) => komrade('carol', alpha, a), 2), [
      ['@portland', 'alice', 'hello portland, from alpha'],
      ['@portland', 'bob@beta', 'hello portland, from beta'],
    ]);
    assert.deepEqual(await feedOf((a) => komrade('alice', alpha, a), 2), [
      ['@portland', 'alice', 'hello portland, from alpha'],
      ['@portland', 'bob@beta', 'hello portland, from beta'],
    ]);
    // nothing is left behind on either side
    await eventually('outbound streams drained', async () =>
      (await outboundPending(natsA.url, 'beta')) + (await outboundPending(natsB.url, 'alpha')) === 0
        ? true
        : undefined,
    );
  });

  test('federation - beta stops during a burst and restarts; every message arrives exactly once', async () => {
    const fromAlpha = new KomradeClient({
      transport: httpTransport({ baseUrl: alpha.operatorUrl }),
    });
    let atBeta = new KomradeClient({
      transport: httpTransport({ baseUrl: (beta as TestRelay).operatorUrl }),
    });
    const box = newMailbox('beta');
    await atBeta.createMailbox(box);
    const sender = generateKeyPair();
    const total = 400;
    const msg = (i: number) => ({
      to: targetOf(box),
      kind: ContentKind.Text,
      content: enc.encode(`burst ${i}`),
    });
    const first = 150;
    await fromAlpha.send(
      sender,
      Array.from({ length: first }, (_, i) => msg(i)),
    );
    // a real stop: beta's four services go away and its operator port closes
    await (beta as TestRelay).stop();
    beta = undefined;
    await assert.rejects(fetch(`${peerB.url}/v1/info`));
    // alpha keeps accepting mail for beta meanwhile: it waits in alpha's outbound stream
    await fromAlpha.send(
      sender,
      Array.from({ length: total - first }, (_, i) => msg(first + i)),
    );
    // and collective posts for bob, a member of alpha's @portland at home on beta
    for (let i = 0; i < 3; i++)
      await komrade('alice', alpha, ['post', '--to', '@portland', `while beta was down ${i}`]);
    await eventually('mail queued at alpha for beta', async () =>
      (await outboundPending(natsA.url, 'beta')) > 0 ? true : undefined,
    );
    // "a while": several failed deliveries with backoff
    await eventually('alpha retrying', async () => {
      const r = alpha.logs.lines.filter((l) => l.includes('peer relay not reached'));
      return r.length >= 3 ? true : undefined;
    });
    beta = await startBeta();
    atBeta = new KomradeClient({ transport: httpTransport({ baseUrl: beta.operatorUrl }) });
    await eventually('alpha outbound drained', async () =>
      (await outboundPending(natsA.url, 'beta')) === 0 ? true : undefined,
    );
    const texts: string[] = [];
    await eventually(`${total} messages at beta`, async () => {
      const r = await atBeta.receive(box);
      assert.deepEqual(r.rejected, [], 'no duplicates (replays) and nothing forged');
      texts.push(...r.messages.map((m) => dec.decode(m.opened.body.content)));
      return texts.length >= total ? true : undefined;
    });
    assert.equal(texts.length, total);
    assert.deepEqual(
      [...texts].sort(),
      Array.from({ length: total }, (_, i) => `burst ${i}`).sort(),
      'every message exactly once',
    );
    // and nothing more arrives afterwards
    const late = await atBeta.receive(box);
    assert.equal(late.messages.length + late.rejected.length, 0);
    // the collective posts made meanwhile reached bob once each (2 before, 3 meanwhile)
    const bobs = await feedOf((a) => komrade('bob', beta as TestRelay, a), 5);
    assert.deepEqual(
      bobs.filter((p) => p[2].startsWith('while beta was down')),
      [0, 1, 2].map((i) => ['@portland@alpha', 'alice@alpha', `while beta was down ${i}`]),
    );
    assert.equal(
      (await feedOf((a) => komrade('bob', beta as TestRelay, a), 5)).length,
      5,
      'exactly once',
    );
  });

  test('federation - a forged relay (the name alpha, another key) is refused; its mail never reaches a mailbox', async () => {
    const b = beta as TestRelay;
    const atBeta = new KomradeClient({ transport: httpTransport({ baseUrl: b.operatorUrl }) });
    const box = newMailbox('beta');
    await atBeta.createMailbox(box);
    const forgedKey = generateKeyPair();
    const sealed = Array.from({ length: 5 }, (_, i) => {
      const s = sealMail({
        to: box.address,
        mailboxKey: box.keys.publicKey,
        sender: generateKeyPair(),
        kind: ContentKind.Text,
        content: enc.encode(`forged ${i}`),
        expiryHour: Math.floor(Date.now() / 3_600_000) + 2,
        timestampMs: Date.now(),
        messageId: crypto.getRandomValues(new Uint8Array(16)),
      });
      assert.ok(s.ok);
      return {
        ...s.value,
        bytes: withPostage(s.value.bytes, s.value.relayLength, mintPostage(s.value.id, 12)),
      };
    });
    const batch = encodeEnvelopeBatch(sealed.map((s) => s.bytes));
    // through the same client code a real relay uses: refused, typed
    const forged = new PeerClient({ relayName: 'alpha', keys: forgedKey, timeoutMs: 10_000 });
    const res = await forged.send(peerB, RelayKind.MailRequest, batch);
    assert.deepEqual(res, { ok: false, code: 'ERR_PEER_AUTH' });
    // and on the wire: 401 with the registry code
    const raw = sealRelayMessage(
      forgedKey,
      {
        kind: RelayKind.MailRequest,
        from: 'alpha',
        to: 'beta',
        timestampMs: Date.now(),
        nonce: crypto.getRandomValues(new Uint8Array(16)),
      },
      batch,
    );
    assert.ok(raw.ok);
    const http = await fetch(`${peerB.url}/v1/relay/mail`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: raw.value,
    });
    assert.equal(http.status, 401);
    assert.equal(((await http.json()) as { error: { code: string } }).error.code, 'ERR_PEER_AUTH');
    // a forged lookup is refused the same way
    const lookup = await forged.send(peerB, RelayKind.LookupRequest, new Uint8Array([1]));
    assert.deepEqual(lookup, { ok: false, code: 'ERR_PEER_AUTH' });
    // and so are collective posts and collective requests on the forged link
    // posts of a collective on alpha, as alpha would deliver them to members on beta
    const alphaPosts = Array.from({ length: 3 }, (_, i) => {
      const s = sealMail({
        to: { relay: 'alpha', id: crypto.getRandomValues(new Uint8Array(16)) },
        mailboxKey: generateKeyPair().publicKey,
        sender: generateKeyPair(),
        kind: ContentKind.Post,
        content: enc.encode(`not for you ${i}`),
        expiryHour: Math.floor(Date.now() / 3_600_000) + 2,
        timestampMs: Date.now(),
        messageId: crypto.getRandomValues(new Uint8Array(16)),
      });
      assert.ok(s.ok);
      return s.value;
    });
    const delivery = (key: Uint8Array) =>
      encodeRelayFanout(
        alphaPosts.map((x) => ({
          kind: FanoutItemKind.Delivery,
          envelope: expectDecoded(x.bytes),
          targets: [{ mailboxId: box.address.id, mailboxKey: key }],
        })),
      );
    const fan = await forged.send(peerB, RelayKind.FanoutRequest, delivery(box.keys.publicKey));
    assert.deepEqual(fan, { ok: false, code: 'ERR_PEER_AUTH' });
    const coll = await forged.send(
      peerB,
      RelayKind.CollectiveRequest,
      encodeRemoteCollective({ relay: 'alpha', body: encodeCollectiveShow({ name: 'portland' }) }),
    );
    assert.deepEqual(coll, { ok: false, code: 'ERR_PEER_AUTH' });
    // the real alpha cannot aim a delivery at a mailbox whose key it does not know, and
    // one addressed to beta's own collectives is refused: a delivery is alpha's post
    const real = new PeerClient({ relayName: 'alpha', keys: keyA, timeoutMs: 10_000 });
    const missedUrl = b.metricsUrls['sorter'] ?? '';
    const missed = () =>
      scrapeMetric(missedUrl, 'komrade_fanout_missed_total', { reason: 'wrong-key' });
    const missedBefore = await missed();
    const wrongKey = await real.send(
      peerB,
      RelayKind.FanoutRequest,
      delivery(generateKeyPair().publicKey),
    );
    assert.ok(wrongKey.ok);
    const taken = decodeRelayMailReceipt(wrongKey.value);
    assert.ok(taken.ok);
    assert.deepEqual(
      taken.value.map((e) => e.outcome),
      alphaPosts.map(() => ReceiptOutcome.Stored),
      'taken into the mail stream; the sorter then finds the key wrong',
    );
    const notAlphas = encodeRelayFanout([
      {
        kind: FanoutItemKind.Delivery,
        envelope: expectDecoded(sealed[0]?.bytes ?? new Uint8Array()),
        targets: [{ mailboxId: box.address.id, mailboxKey: box.keys.publicKey }],
      },
    ]);
    const refused = await real.send(peerB, RelayKind.FanoutRequest, notAlphas);
    assert.ok(refused.ok);
    const receipt = decodeRelayMailReceipt(refused.value);
    assert.ok(receipt.ok);
    assert.deepEqual(
      receipt.value.map((e) => e.outcome),
      [ReceiptOutcome.Refused],
    );
    await eventually('beta sorted the wrong-key deliveries', async () =>
      (await mailPending(natsB.url)) === 0 ? true : undefined,
    );
    // each refused copy is counted, by reason only
    assert.equal((await missed()) - missedBefore, alphaPosts.length);

    // nothing of it anywhere in beta's Redis, and the mailbox is empty
    const dump = await dumpRedis(redisB.url);
    assert.ok(
      !dumpContains(
        dump,
        [...sealed, ...alphaPosts].map((s) => s.id),
      ),
      'no forged envelope id in Redis',
    );
    assert.ok(
      !dumpContains(
        dump,
        sealed.map((s) => s.bytes.subarray(s.bytes.length - 64)),
      ),
      'no forged ciphertext in Redis',
    );
    const got = await atBeta.receive(box);
    assert.equal(got.messages.length + got.rejected.length, 0);
  });

  // last: it restarts alpha without beta as a peer
  test('federation - once alpha no longer peers with beta, bob (beta) misses the posts of @portland and the sorter counts him unreachable', async () => {
    await alpha.stop();
    alpha = await startRelay({
      natsUrl: natsA.url,
      redisUrl: redisA.url,
      relayName: 'alpha',
      relayKey: keyA,
      operatorPort: Number(new URL(peerA.url).port),
      env: { KOMRADE_LOG_LEVEL: 'info' },
    });
    const unreachable = () =>
      scrapeMetric(alpha.metricsUrls['sorter'] ?? '', 'komrade_fanout_missed_total', {
        reason: 'unreachable',
      });
    assert.equal(await unreachable(), 0);
    const before = (await feedOf((a) => komrade('carol', alpha, a), 5)).length;
    await komrade('alice', alpha, ['post', '--to', '@portland', 'after beta left']);
    // the members at home on alpha still get it
    const carols = await feedOf((a) => komrade('carol', alpha, a), before + 1);
    assert.deepEqual(
      carols.filter((p) => p[2] === 'after beta left'),
      [['@portland', 'alice', 'after beta left']],
    );
    await eventually('the fan-out counted bob unreachable', async () =>
      (await unreachable()) === 1 ? true : undefined,
    );
    // and alpha queued nothing for beta, which is no longer a peer
    assert.equal(await outboundPending(natsA.url, 'beta'), 0);
  });
});
