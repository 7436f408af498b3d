#!/usr/bin/env node
// `npm test`: build, lint, format check, unit tests, then integration tests against real
// nats-server / redis-server / tor spawned by the test kit. Flags: --unit, --integration,
// --no-lint, --only <substrings> (comma-separated: run only test files whose path contains one).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const wantUnit = !args.includes('--integration');
const wantInt = !args.includes('--unit');
const lint = !args.includes('--no-lint') && !only;

function run(title, cmd, cmdArgs, opts = {}) {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
}

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

if (!existsSync(join(root, 'node_modules'))) run('install (npm ci)', 'npm', ['ci']);
run('build (tsc -b)', 'npx', ['tsc', '-b']);
if (lint) {
  run('lint (eslint)', 'npx', ['eslint', '.']);
  run('format (prettier --check)', 'npx', ['prettier', '--check', '.']);
}
const pkgDirs = [
  'protocol',
  'services/runtime',
  'services/operator',
  'services/sorter',
  'services/vouch',
  'services/purge',
  'client',
  'deploy',
  'load',
  'testkit',
];
const all = pkgDirs
  .flatMap((d) => {
    const t = join(root, d, 'dist', 'test');
    return existsSync(t) ? findTests(t) : [];
  })
  .filter((f) => !only || only.split(',').some((o) => relative(root, f).includes(o)));
// The web client (client/web) is a Vite build of its own (type-checked, bundled); the
// operator serves it in the web tests, so it is built whenever those run.
if (all.some((f) => /\/web-[a-z-]+\.int\.test\.js$/.test(f)))
  run('build web client (tsc --noEmit, vite build)', 'npm', [
    'run',
    'build',
    '--silent',
    '-w',
    '@komrade/web',
  ]);
const unit = all.filter((f) => !f.endsWith('.int.test.js'));
const integration = all.filter((f) => f.endsWith('.int.test.js'));
const nodeArgs = ['--test', '--test-reporter=spec', '--test-concurrency=1'];
if (wantUnit && unit.length)
  run(`unit tests (${unit.length} files)`, process.execPath, [...nodeArgs, ...unit]);
if (wantInt && integration.length)
  run(
    `integration tests (${integration.length} files, real servers)`,
    process.execPath,
    [...nodeArgs, ...integration],
    {
      env: { ...process.env, KOMRADE_TEST: '1' },
    },
  );
console.log('\nAll checks passed.');
