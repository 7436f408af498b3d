import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { encodeErrorReply } from '@komrade/protocol';
import { createLogger } from '@komrade/service-runtime';
import { buildApp } from '../src/app.js';
import { operatorConfig } from '../src/config.js';
import type { OperatorDeps } from '../src/operator-deps.js';
import { PostageGovernor } from '../src/postage-governor.js';
import { WEB_CSP } from '../src/web-static.js';

function deps(env: Record<string, string>): OperatorDeps {
  return {
    config: operatorConfig({ KOMRADE_RELAY_NAME: 'unit', ...env }),
    log: createLogger('operator', 'silent'),
    mail: { publish: async () => undefined },
    forward: async () => encodeErrorReply('ERR_MAILBOX_AUTH'),
    postage: new PostageGovernor({ baseBits: 4, auto: false, targetRps: 1000 }),
    now: Date.now,
    ready: () => true,
  };
}

describe('operator - web client files (KOMRADE_WEB_DIR)', () => {
  let dir: string;
  const js = 'console.log("komrade");\n'.repeat(100);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'komrade-web-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Komrade</title>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), js);
    await writeFile(join(dir, 'assets', 'index-abc123.js.gz'), gzipSync(js));
    await writeFile(join(dir, 'assets', 'libthemis-def456.wasm'), Uint8Array.of(0, 97, 115, 109));
    await writeFile(join(dir, '.secret'), 'not served');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('web - index.html under / with the strict CSP and no referrer', async () => {
    const app = buildApp(deps({ KOMRADE_WEB_DIR: dir }));
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['content-security-policy'], WEB_CSP);
    for (const part of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "connect-src 'self'",
      "img-src 'self' blob: data:",
      "frame-ancestors 'none'",
    ])
      assert.ok(WEB_CSP.includes(part), part);
    assert.ok(!WEB_CSP.includes('unsafe-inline'));
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-cache');
    await app.close();
  });

  test('web - wasm is application/wasm, hashed assets are immutable, gzip when accepted', async () => {
    const app = buildApp(deps({ KOMRADE_WEB_DIR: dir }));
    const wasm = await app.inject({ method: 'GET', url: '/assets/libthemis-def456.wasm' });
    assert.equal(wasm.statusCode, 200);
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.match(String(wasm.headers['cache-control']), /immutable/);
    assert.equal(wasm.headers['content-security-policy'], WEB_CSP);
    const gz = await app.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.statusCode, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(String(gz.headers['content-type']), /javascript/);
    const plain = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(plain.body, js);
    await app.close();
  });

  test('web - the API still answers beside the files; unknown paths and dot files are 404', async () => {
    const app = buildApp(deps({ KOMRADE_WEB_DIR: dir }));
    const info = await app.inject({ method: 'GET', url: '/v1/info' });
    assert.equal(info.statusCode, 200);
    assert.equal(info.json<{ relay: string }>().relay, 'unit');
    for (const url of ['/nothing-here.js', '/.secret', '/assets/../../etc/passwd']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_HTTP_NOT_FOUND');
    }
    await app.close();
  });

  test('web - without KOMRADE_WEB_DIR no page is served', async () => {
    const app = buildApp(deps({}));
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 404);
    await app.close();
  });

  test('web - a directory without index.html fails at start with what to do', () => {
    assert.throws(
      () => buildApp(deps({ KOMRADE_WEB_DIR: join(dir, 'assets') })),
      /holds no index\.html: build the web client/,
    );
  });
});
