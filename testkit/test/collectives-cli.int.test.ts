/**
 * Drives the real `komrade` binary against a relay on real nats-server and redis-server
 * for collectives and posts: found @portland, join, vouch to the quorum (with the group
 * key handed over), show, refusals with one clear line, a collective post and a world
 * post with an image in the feed, overall vouch counts, leaving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { initCrypto } from '@komrade/protocol';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';
import { waitMailDrained } from '../src/store-scan.js';

const MAIN = fileURLToPath(new URL('../../../client/dist/src/cli/main.js', import.meta.url));
const PASS = 'a long test passphrase';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Entry {
  readonly name?: string;
  readonly vouches: number;
}

interface View {
  readonly members: Entry[];
  readonly candidates: Entry[];
  readonly quorum: number;
  readonly you: string | null;
}

interface FeedPost {
  readonly source: string;
  readonly author: string;
  readonly text: string;
  readonly image?: { type: string; bytes: number; path?: string };
}

describe('komrade CLI: collectives and posts (real binary, real servers)', () => {
  let nats: RunningServer;
  let redis: RunningServer;
  let relay: TestRelay;
  let root: string;
  const home = (who: string): string => join(root, who);

  function komrade(who: string, args: readonly string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN, '--home', home(who), ...args], {
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: root,
          KOMRADE_OPERATOR: relay.operatorUrl,
          KOMRADE_PASSPHRASE: PASS,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        resolve({ code, stdout, stderr });
      });
      child.stdin.end('');
    });
  }

  async function ok<T>(who: string, args: readonly string[]): Promise<T> {
    const r = await komrade(who, ['--json', ...args]);
    assert.equal(r.code, 0, `${who} ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', 'no noise in --json mode');
    return JSON.parse(r.stdout) as T;
  }

  async function refused(who: string, args: readonly string[], message: RegExp): Promise<void> {
    const r = await komrade(who, args);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^komrade: /);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+|Error:|node:internal/);
  }

  before(async () => {
    await initCrypto();
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({
      natsUrl: nats.url,
      redisUrl: redis.url,
      env: { KOMRADE_FANOUT_CACHE_MS: '0' },
    });
    root = await mkdtemp(join(tmpdir(), 'komrade-collectives-cli-'));
    for (const who of ['rosa', 'ben', 'cyd', 'dan']) await ok(who, ['register', who]);
  });

  after(async () => {
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('cli - found @portland, admit komrades as vouches reach the quorum, refusals are one clear line', async () => {
    const created = await ok<{ name: string; members: number; quorum: number }>('rosa', [
      'collective',
      'create',
      'Portland',
      '--quorum',
      'fixed:2',
    ]);
    assert.deepEqual(created, { name: 'portland', policy: 'fixed:2', quorum: 1, members: 1 });
    const joined = await ok<{ quorum: number; vouches: number }>('ben', ['join', '@portland']);
    assert.deepEqual([joined.vouches, joined.quorum], [0, 1]);
    const admitted = await ok<{ admitted: boolean; keyHandedOver: boolean; members: number }>(
      'rosa',
      ['vouch', 'portland', 'ben'],
    );
    assert.deepEqual(
      [admitted.admitted, admitted.keyHandedOver, admitted.members],
      [true, true, 2],
    );
    const shown = await ok<View>('ben', ['collective', 'show', 'portland']);
    assert.equal(shown.you, 'member');
    assert.equal(shown.quorum, 2);
    assert.deepEqual(
      shown.members.map((m) => m.vouches),
      [0, 1],
    );

    await ok('cyd', ['join', 'portland']);
    const one = await ok<{ vouches: number; quorum: number; admitted: boolean }>('rosa', [
      'vouch',
      'portland',
      'cyd',
    ]);
    assert.deepEqual([one.vouches, one.quorum, one.admitted], [1, 2, false]);
    await refused('rosa', ['vouch', 'portland', 'cyd'], /already did that/);
    await refused('dan', ['vouch', 'portland', 'cyd'], /Only current members/);
    await refused('dan', ['vouch', 'portland', 'rosa'], /Only current members/);
    await refused('ben', ['vouch', 'portland', 'dan'], /has not asked to join/);
    await refused('dan', ['collective', 'create', 'portland'], /already exists/);
    await refused('dan', ['collective', 'show', 'nowhere'], /No collective has that name/);
    const two = await ok<{ vouches: number; admitted: boolean }>('ben', [
      'vouch',
      'portland',
      'cyd',
    ]);
    assert.deepEqual([two.vouches, two.admitted], [2, true]);
    const view = await ok<View>('cyd', ['collective', 'show', 'portland']);
    assert.equal(view.members.length, 3);
    assert.equal(view.you, 'member');
    assert.equal(view.candidates.length, 0);
    assert.equal((await ok<{ vouches: number }>('dan', ['vouches', 'cyd'])).vouches, 2);
    assert.equal((await ok<{ vouches: number }>('dan', ['vouches', 'ben'])).vouches, 1);
    // the human form names the quorum and the counts
    const human = await komrade('rosa', ['collective', 'show', 'portland']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /@portland: 3 member\(s\), quorum now 2 \(policy fixed:2\)/);
    assert.match(human.stdout, /@rosa \(you\) \(founder\) {2}0/);
  });

  test('cli - a collective post and a world post with an image show in the feed, authors checked', async () => {
    const collective = await ok<{ to: string }>('ben', [
      'post',
      'meeting',
      'at',
      'the',
      'hall',
      '--to',
      '@portland',
      '--ttl',
      '1d',
    ]);
    assert.equal(collective.to, '@portland');
    await waitMailDrained(nats.url);
    const rosaFeed = await ok<{ posts: FeedPost[] }>('rosa', ['feed', '--no-world']);
    assert.deepEqual(
      rosaFeed.posts.map((p) => [p.source, p.author, p.text]),
      [['@portland', 'ben', 'meeting at the hall']],
    );
    // dan is no member: nothing of it reaches him
    const danFeed = await ok<{ posts: FeedPost[] }>('dan', ['feed', '--no-world']);
    assert.deepEqual(danFeed.posts, []);

    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(2000, 7),
    ]);
    const file = join(root, 'flyer.png');
    await writeFile(file, png);
    const world = await ok<{ to: string }>('cyd', [
      'post',
      'strike fund party saturday',
      '--image',
      file,
      '--ttl',
      '2h',
    ]);
    assert.equal(world.to, 'world');
    const saved = join(root, 'images');
    const danWorld = await ok<{ posts: FeedPost[] }>('dan', ['feed', '--images', saved]);
    const p = danWorld.posts.find((x) => x.source === 'world');
    assert.ok(p);
    assert.deepEqual([p.author, p.text], ['cyd', 'strike fund party saturday']);
    assert.equal(p.image?.type, 'png');
    assert.ok(p.image.path);
    assert.deepEqual(await readFile(p.image.path), png);

    await refused('dan', ['post', 'x'.repeat(1001)], /at most 1000 characters/);
    await refused('dan', ['post', 'hi', '--to', '@portland'], /Only current members/);
    await refused('dan', ['post', 'hi', '--image', join(root, 'images')], /PNG, JPEG, GIF or WebP/);
    await writeFile(join(root, 'notes.txt'), 'not an image');
    await refused(
      'dan',
      ['post', 'hi', '--image', join(root, 'notes.txt')],
      /PNG, JPEG, GIF or WebP/,
    );
    await writeFile(join(root, 'huge.png'), Buffer.concat([png, Buffer.alloc(70_000)]));
    await refused('dan', ['post', 'hi', '--image', join(root, 'huge.png')], /too large/);

    // more lifetime than the relay keeps mail: posted, and the komrade is told the limit
    const long = await komrade('ben', ['post', 'long haul', '--to', '@portland', '--ttl', '30d']);
    assert.equal(long.code, 0, long.stderr);
    assert.match(long.stdout, /capped by the relay's limit for mail: gone by \d{4}-\d\d-\d\d /);
    const short = await komrade('ben', ['post', 'soon', '--to', '@portland', '--ttl', '1d']);
    assert.equal(short.code, 0, short.stderr);
    assert.doesNotMatch(short.stdout, /capped/);
  });

  test('cli - leaving ends the membership; the quorum follows the size', async () => {
    const left = await ok<{ left: boolean; members: number; quorum: number }>('cyd', [
      'leave',
      'portland',
    ]);
    assert.deepEqual([left.left, left.members, left.quorum], [true, 2, 2]);
    const view = await ok<View>('dan', ['collective', 'show', 'portland']);
    assert.equal(view.members.length, 2);
    assert.equal(view.you, null);
    await refused('cyd', ['post', 'hi', '--to', 'portland'], /Only current members/);
  });
});
