#!/usr/bin/env node
// `komrade`: runs the compiled CLI in ../dist. This file is in git, unlike dist/, so that
// `npm ci` links the command on a fresh clone; `npm start`, `npm test` and
// `npm run build` build dist/.
try {
  await import('../dist/src/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/src/cli/main.js'))
    throw e;
  process.stderr.write('komrade: not built yet. Run `npm run build` in the repository first.\n');
  process.exitCode = 1;
}
