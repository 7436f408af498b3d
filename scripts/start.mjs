#!/usr/bin/env node
// `npm start`: runs a whole Komrade relay on this machine (see deploy/README.md).
// On a fresh clone it installs dependencies and builds first; it checks that the server
// binaries exist, then runs deploy's main with stdio inherited, forwards SIGINT/SIGTERM
// to it, and exits with its exit code. Arguments after `npm start --` are passed on.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { clearInterval, setInterval } from 'node:timers';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function step(title, cmd, args) {
  console.log(`== ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(
      `${title} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`}).`,
    );
    process.exit(r.status || 1);
  }
}

if (!existsSync(join(root, 'node_modules')))
  step('installing dependencies (npm ci)', 'npm', ['ci']);
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
step('building (tsc -b)', process.execPath, [tsc, '-b']);
// the web client the operator serves (client/web/dist; see docs/web.md)
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
step('building the web client (vite)', process.execPath, [
  vite,
  'build',
  join(root, 'client', 'web'),
]);

const { installCommand, missingBinaries } = await import(
  new URL('../deploy/dist/src/index.js', import.meta.url).href
);
const missing = missingBinaries(['nats-server', 'redis-server']);
if (missing.length > 0) {
  console.error(`\nMissing: ${missing.join(', ')}. Install with:\n  ${installCommand(missing)}`);
  process.exit(1);
}

const child = spawn(
  process.execPath,
  [join(root, 'deploy', 'dist', 'src', 'main.js'), ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
// A terminal's Ctrl-C reaches both of us; a `kill` reaches only this process. Forward
// either way: the relay ignores a repeated signal while it is stopping.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    child.kill(sig);
  });
}
// npm runs this script through `sh -c`, and a SIGTERM sent to npm kills that shell but
// never reaches us: notice the parent going away and stop the relay rather than orphan it.
const parent = process.ppid;
const watchdog = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(watchdog);
    child.kill('SIGTERM');
  }
}, 250);
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
