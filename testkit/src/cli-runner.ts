import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../client/dist/src/cli/main.js', import.meta.url));

/** Polls `probe` until it returns a value (not undefined); fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs the real `komrade` CLI (built) with `--json` for a komrade `who`, whose keystore
 * lives under `root/who`, at home on the operator at `operatorUrl`; resolves with the
 * parsed JSON, rejects with the exit code and stderr on failure.
 */
export function runKomrade(
  root: string,
  passphrase: string,
  who: string,
  operatorUrl: string,
  args: readonly string[],
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--home', join(root, who), '--json', ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: root,
        KOMRADE_OPERATOR: operatorUrl,
        KOMRADE_PASSPHRASE: passphrase,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`${who} ${args.join(' ')}: exit ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as unknown);
    });
  });
}

/** A post in `komrade feed --json`, as [source, author, text]. */
export type FeedRow = [string, string, string];

/**
 * Reads `komrade feed --no-world` through `run` until it lists at least `want` posts;
 * resolves with them sorted. Fails if the feed ever reports a post dropped by its checks.
 */
export async function feedOf(
  run: (args: readonly string[]) => Promise<unknown>,
  want: number,
): Promise<FeedRow[]> {
  type Feed = { posts: { source: string; author: string; text: string }[]; dropped: number };
  let got: FeedRow[] = [];
  await eventually(`${want} posts in the feed`, async () => {
    const r = (await run(['feed', '--no-world'])) as Feed;
    assert.equal(r.dropped, 0);
    got = r.posts.map((p) => [p.source, p.author, p.text]);
    return got.length >= want ? true : undefined;
  });
  return got.sort();
}

/**
 * Runs `attempt` until it succeeds, while it fails with an error whose message contains
 * `code` (a state that resolves by itself, like a group key still in transit); any other
 * failure fails at once.
 */
export function retryWhile(what: string, code: string, attempt: () => Promise<unknown>) {
  return eventually(what, async () => {
    try {
      await attempt();
      return true;
    } catch (e) {
      if (e instanceof Error && e.message.includes(code)) return undefined;
      throw e;
    }
  });
}
