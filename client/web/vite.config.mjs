// Vite build of the web client. Relative asset URLs (base './') so the same files work
// from http://127.0.0.1:port/ and from an .onion origin; no inline scripts (the operator's
// Content-Security-Policy forbids them); the wasm file is emitted as an asset and fetched
// from our own origin.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig } from 'vite';

const nodeOnlyStub = fileURLToPath(new URL('./src/node-only-stub.ts', import.meta.url));

const outDir = fileURLToPath(new URL('./dist', import.meta.url));

/**
 * Writes .br and .gz beside every text and wasm file: the operator sends them to browsers
 * that accept them (over Tor, 3.7 MB of JavaScript and wasm become about 1 MB).
 */
function precompress() {
  const walk = (dir) =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  return {
    name: 'komrade-precompress',
    apply: 'build',
    closeBundle() {
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|wasm|svg)$/.test(file)) continue;
        const bytes = readFileSync(file);
        if (bytes.length < 1024) continue;
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 10,
              [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
            },
          }),
        );
      }
    },
  };
}

export default defineConfig({
  base: './',
  resolve: {
    // wasm-themis requires these only under Node (its loader checks ENVIRONMENT_IS_NODE,
    // its TextEncoder fallback runs only where there is no global TextEncoder)
    alias: [{ find: /^(fs|path|crypto|ws|util)$/, replacement: nodeOnlyStub }],
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
    // the worker carries wasm-themis's Emscripten loader (~1.6 MB, ~0.3 MB compressed)
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: 'es' },
  plugins: [precompress()],
});
