import {
  Feed,
  Komrade,
  KomradeClient,
  newAccount,
  newMailbox,
  postContent,
  type OwnedMailbox,
  type Transport,
} from '@komrade/client';
import {
  CollectiveOutcome,
  ContentKind,
  collectiveRequestIdOf,
  decodeCollectiveResult,
  encodeCollectiveRequest,
  generateKeyPair,
  MAX_CANDIDATES,
  mintPostage,
  MessageType,
  POST_EXTRA_BITS,
  sealMail,
  signCollectiveAction,
  withPostage,
  type CollectiveAction,
  type CollectiveResult,
  type KeyPair,
} from '@komrade/protocol';
import { randomBytes } from 'node:crypto';
import type { Progress } from './progress.js';
import { metricSum, scrape } from './prometheus.js';
import type { StoreFacts } from './store-facts.js';

/** Real fan-out through the relay: one collective, pre-sealed posts, deliveries counted. */
export interface CollectiveFanoutResult {
  readonly members: number;
  readonly posts: number;
  /** Member mailbox writes per second: sorter's komrade_mailbox_writes_total over the phase. */
  readonly deliveriesPerSec: number;
  /** From the first POST /v1/fanout until the mail stream was empty again. */
  readonly seconds: number;
  /** Envelope bytes of one post (what is copied into every member mailbox). */
  readonly envelopeBytes: number;
  /** Sum of the sorter's komrade_mailbox_writes_total over the phase. */
  readonly writes: number;
  /** Sum of HLEN over every member mailbox after the phase (should be members x posts). */
  readonly stored: number;
  /** Members whose mailbox does not hold exactly `posts` messages. */
  readonly wrongMailboxes: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly setupSec: number;
  readonly method: string;
}

export interface CollectiveFanoutOptions {
  readonly transport: Transport;
  readonly relayName: string;
  readonly postageBits: number;
  readonly members: number;
  readonly posts: number;
  /** POSTs in flight during the timed phase. */
  readonly inFlight: number;
  readonly sorterMetricsUrl: string;
  readonly facts: StoreFacts;
  readonly ui: Progress;
}

async function eachLimit<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>) {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

/**
 * Founds a collective (fixed quorum 1), has members-1 new komrades join and the founder
 * vouch each in, then (timed) posts `posts` envelopes pre-sealed to the group key to
 * POST /v1/fanout and waits for the sorter to copy them all. Checks every member mailbox
 * (HLEN) and deletes them afterwards, so the run's final leftover check stays exact.
 */
export async function collectiveFanout(
  o: CollectiveFanoutOptions,
): Promise<CollectiveFanoutResult> {
  const tSetup = performance.now();
  const client = new KomradeClient({ transport: o.transport });
  const founder = new Komrade({
    client,
    account: newAccount(o.relayName, Date.now()),
    persist: () => Promise.resolve(),
  });
  await founder.register(`benchfounder${randomBytes(3).toString('hex')}`);
  const feed = new Feed({ komrade: founder, persist: () => Promise.resolve() });
  const name = `bench${randomBytes(3).toString('hex')}`;
  await feed.collectives.create(name, { kind: 'fixed', count: 1 });
  const mine = feed.collectives.membership(name);
  if (!mine?.groupKey || !mine.fanout) throw new Error('founding the bench collective failed');
  const groupKey = mine.groupKey;
  const fanout = mine.fanout;

  const request = async (who: KeyPair, act: object): Promise<CollectiveResult> => {
    const s = signCollectiveAction(who, {
      relay: o.relayName,
      collective: name,
      timestampMs: Date.now(),
      nonce: randomBytes(16),
      ...act,
    } as unknown as CollectiveAction);
    if (!s.ok) throw new Error(`signing a collective request: ${s.code}`);
    const postage = mintPostage(collectiveRequestIdOf(s.value), o.postageBits);
    const res = await o.transport.post(
      '/v1/collectives',
      encodeCollectiveRequest({ ...s.value, postage }),
    );
    const r = decodeCollectiveResult(res.body);
    if (!r.ok) throw new Error(`collective answer unreadable: ${r.code}`);
    return r.value;
  };

  // members-1 komrades: identity and collective mailbox each. A collective holds at most
  // MAX_CANDIDATES open candidacies, so they join in batches (concurrently) and the founder
  // vouches each batch in (quorum fixed at 1) before the next joins
  const joiners = o.members - 1;
  o.ui.phase('collective: join + vouch', joiners, `${o.members} members`);
  let done = 0;
  const boxes: OwnedMailbox[] = [mine.mailbox];
  const batchSize = Math.min(128, MAX_CANDIDATES);
  for (let from = 0; from < joiners; from += batchSize) {
    const candidates: { id: KeyPair; mb: OwnedMailbox; epoch: number }[] = [];
    await eachLimit(
      Array.from({ length: Math.min(batchSize, joiners - from) }, (_, i) => i),
      4,
      async () => {
        const id = generateKeyPair();
        const mb = newMailbox(o.relayName);
        await client.createMailbox(mb);
        const joined = await request(id, {
          type: MessageType.CollectiveJoin,
          mailboxRelay: mb.address.relay,
          mailboxId: mb.address.id,
          mailboxKey: mb.keys.publicKey,
        });
        candidates.push({ id, mb, epoch: joined.epoch });
      },
    );
    for (const c of candidates) {
      const r = await request(founder.account.identity, {
        type: MessageType.CollectiveVouch,
        memberEpoch: 1,
        candidateKey: c.id.publicKey,
        candidacyEpoch: c.epoch,
      });
      if (r.outcome !== CollectiveOutcome.Admitted)
        throw new Error(`a bench member was not admitted (outcome ${r.outcome})`);
      boxes.push(c.mb);
      o.ui.update(++done);
    }
  }
  const view = await feed.collectives.show(name);
  if (view.members.length !== o.members)
    throw new Error(`bench collective has ${view.members.length} members, not ${o.members}`);

  // posts sealed to the group key before timing (signing and encryption are the client's)
  const text = 'fan-out bench post '.repeat(40).slice(0, 800);
  const expiryHour = Math.floor((Date.now() + 86_400_000) / 3_600_000);
  const bodies = Array.from({ length: o.posts }, () => {
    const s = sealMail({
      to: fanout,
      mailboxKey: groupKey.publicKey,
      sender: founder.account.identity,
      kind: ContentKind.Post,
      content: postContent(undefined, { text }),
      expiryHour,
      timestampMs: Date.now(),
      messageId: randomBytes(16),
    });
    if (!s.ok) throw new Error(`sealing a fan-out post: ${s.code}`);
    const postage = mintPostage(s.value.id, o.postageBits + POST_EXTRA_BITS);
    return withPostage(s.value.bytes, s.value.relayLength, postage);
  });
  const setupSec = (performance.now() - tSetup) / 1000;

  // ---- timed: POST every post, wait until the sorter has copied them all -------------
  const writesNow = async (): Promise<number> => {
    const t = await scrape(o.sorterMetricsUrl);
    if (t === undefined) throw new Error('the sorter metrics did not answer');
    return metricSum(t, 'komrade_mailbox_writes_total') ?? 0;
  };
  await o.facts.waitDrained(120_000);
  const writes0 = await writesNow();
  o.ui.phase('collective fan-out (timed)', o.posts, `${o.members} members x ${o.posts} posts`);
  const t0 = performance.now();
  let sent = 0;
  await eachLimit(bodies, o.inFlight, async (b) => {
    await o.transport.post('/v1/fanout', b);
    o.ui.update(++sent);
  });
  const t1 = await o.facts.waitDrained(300_000);
  const writes = (await writesNow()) - writes0;
  const seconds = (t1 - t0) / 1000;

  // ---- loss check: every member mailbox holds exactly the posts, then clean up --------
  o.ui.phase('collective: check and clean up', 1);
  const ids = boxes.map((b) => b.address.id);
  const counts = await o.facts.messagesIn(ids);
  const stored = counts.reduce((a, b) => a + b, 0);
  const wrongMailboxes = counts.filter((c) => c !== o.posts).length;
  const lost = counts.reduce((a, c) => a + Math.max(0, o.posts - c), 0);
  const duplicated = counts.reduce((a, c) => a + Math.max(0, c - o.posts), 0);
  await o.facts.dropMailboxes(ids);
  return {
    members: o.members,
    posts: o.posts,
    deliveriesPerSec: writes / seconds,
    seconds,
    envelopeBytes: bodies[0]?.length ?? 0,
    writes,
    stored,
    wrongMailboxes,
    lost,
    duplicated,
    setupSec,
    method: `one collective (fixed quorum 1, founder vouched every member in), ${o.posts} posts pre-sealed to the group key, POST /v1/fanout with ${o.inFlight} in flight; deliveries = sorter komrade_mailbox_writes_total from the first POST until the mail stream was empty; loss = HLEN of every member mailbox`,
  };
}
