/**
 * The web client from an .onion origin: the operator serves the app, a private Tor network
 * (three authorities, three relays, the onion service and a client, all on this machine)
 * publishes it, and headless Chromium reaches it only through the client tor's SOCKS port,
 * as Tor Browser would. A komrade creates an account (proof of work and registration
 * through the onion service) and looks a name up; every request the page and its worker
 * make must go to the .onion origin.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRelay, type TestRelay } from '../src/relay.js';
import { startNats, startRedis, type RunningServer } from '../src/servers.js';
import { startTorNetwork, type TorNetwork } from '../src/tor-network.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WEB_DIR = join(ROOT, 'client', 'web', 'dist');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Through Tor on two busy cores: every step may take a while. */
const UI_TIMEOUT_MS = 180_000;
/** The first connections fail until the onion service's descriptor is published. */
const OPEN_ATTEMPTS = 60;

describe('web client over an onion service (private Tor network, headless Chromium)', () => {
  let nats: RunningServer | undefined;
  let redis: RunningServer | undefined;
  let relay: TestRelay | undefined;
  let tor: TorNetwork | undefined;
  let browser: Browser | undefined;
  const requests: string[] = [];
  const problems: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}. Install it with: sudo apt-get install -y chromium`,
      );
    if (!existsSync(join(WEB_DIR, 'index.html')))
      throw new Error(`The web client is not built. Build it with: npm run build -w @komrade/web`);
    await mkdir(ARTIFACTS, { recursive: true });
    nats = await startNats();
    redis = await startRedis();
    relay = await startRelay({
      natsUrl: nats.url,
      redisUrl: redis.url,
      env: { KOMRADE_WEB_DIR: WEB_DIR },
    });
    tor = await startTorNetwork({ target: Number(new URL(relay.operatorUrl).port) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      // socks5: Chromium hands the host name to the proxy, so the .onion name is resolved
      // inside Tor and never by DNS
      proxy: { server: `socks5://127.0.0.1:${String(tor.socksPort)}` },
    });
  });

  after(async () => {
    await browser?.close();
    await tor?.stop();
    await relay?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  async function openOnion(page: Page, url: string): Promise<void> {
    let last: unknown;
    for (let i = 0; i < OPEN_ATTEMPTS; i++) {
      try {
        const res = await page.goto(url, { timeout: 60_000 });
        if (res?.ok()) return;
        last = new Error(`HTTP ${String(res?.status())}`);
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    throw new Error(`could not open ${url} through Tor: ${String(last)}`);
  }

  test('web onion - the app loads from the .onion origin and registers a komrade through Tor', async () => {
    assert.ok(browser && tor);
    const origin = `http://${tor.onionHost}`;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    context.on('request', (r) => {
      requests.push(r.url());
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => {
      problems.push(`page error: ${e.message}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${String(r.status())} for ${r.url()}`);
    });
    await openOnion(page, `${origin}/`);
    await page
      .getByRole('heading', { name: 'Create an account' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByLabel('Name', { exact: true }).fill('carol');
    await page.getByLabel('Passphrase', { exact: true }).fill('a long onion passphrase');
    await page.getByLabel('Passphrase again').fill('a long onion passphrase');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('whoami').filter({ hasText: '@carol' }).waitFor({
      timeout: UI_TIMEOUT_MS,
    });
    await page.evaluate(`location.hash = '#/people'`);
    await page.locator('#find-name').fill('carol', { timeout: UI_TIMEOUT_MS });
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByText('That is you.').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.screenshot({ path: join(ARTIFACTS, '12-onion-phone.png') });
    await context.close();

    const foreign = requests.filter((u) => !u.startsWith('blob:') && new URL(u).origin !== origin);
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((u) => u === `${origin}/v1/directory/register`));
    assert.ok(requests.some((u) => u.endsWith('.wasm')));
    assert.deepEqual(problems, []);
  });
});
