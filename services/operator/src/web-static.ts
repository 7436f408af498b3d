import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fastifyStatic } from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The web client's Content-Security-Policy: scripts, styles, workers and connections only
 * from the relay's own origin (so the same files work from an .onion address), WebAssembly
 * allowed (wasm-themis), no inline script, no frames, nothing from a third party.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every file of the web client. */
export const WEB_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': WEB_CSP,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
});

/**
 * Serves the built web client (a directory with index.html, from KOMRADE_WEB_DIR) under
 * `/`, beside the API. The files are public and the same for everyone; hashed assets are
 * cached for good, the rest (index.html) is revalidated. Pre-compressed `.br`/`.gz` siblings are sent
 * when the browser accepts them (the build writes them), which matters over Tor.
 */
export function webStatic(app: FastifyInstance, webDir: string): void {
  const root = resolve(webDir);
  if (!existsSync(join(root, 'index.html')))
    throw new Error(
      `KOMRADE_WEB_DIR=${webDir} holds no index.html: build the web client (npm run build -w @komrade/web) or unset KOMRADE_WEB_DIR`,
    );
  void app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: true,
      index: ['index.html'],
      dotfiles: 'ignore',
      cacheControl: false,
      preCompressed: true,
      decorateReply: false,
      setHeaders(reply, path) {
        reply.headers(WEB_HEADERS);
        // Vite names everything under assets/ by content hash; the rest is revalidated
        reply.header(
          'cache-control',
          basename(dirname(path)) === 'assets' && dirname(dirname(path)) === root
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        );
      },
    });
  });
}
