import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${repoRoot}${path}`, 'utf8');

/** The names in the runtime's KNOWN_VARIABLES set, read from its source. */
function knownVariables(): string[] {
  const source = read('services/runtime/src/config.ts');
  const start = source.indexOf('export const KNOWN_VARIABLES');
  assert.ok(start >= 0, 'KNOWN_VARIABLES is defined in services/runtime/src/config.ts');
  const block = source.slice(start, source.indexOf(']);', start));
  return [...new Set(block.match(/'KOMRADE_[A-Z0-9_]+'/g) ?? [])].map((q) => q.slice(1, -1));
}

test('env.example - documents every KOMRADE_* variable any part reads', () => {
  const documented = new Set(read('deploy/env.example').match(/^#?KOMRADE_[A-Z0-9_]+(?==)/gm));
  const names = [...documented].map((n) => n.replace(/^#/, ''));
  const missing = knownVariables().filter((v) => !names.includes(v));
  assert.deepEqual(missing, [], 'add these to deploy/env.example');
});

test('env.example - documents no variable that nothing reads', () => {
  const known = new Set(knownVariables());
  const names = (read('deploy/env.example').match(/^#?KOMRADE_[A-Z0-9_]+(?==)/gm) ?? []).map((n) =>
    n.replace(/^#/, ''),
  );
  assert.deepEqual(
    names.filter((n) => !known.has(n)),
    [],
  );
});
