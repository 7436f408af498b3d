/**
 * The commands the workspaces install (`komrade`, `komrade-bench`, `komrade-ops`) must be
 * linked by `npm ci` on a fresh clone, before anything is built: npm links a bin only if
 * its file exists at install time, and dist/ is not in git. So every bin points at a file
 * in git outside dist/, and the command npm linked runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, constants, readFile, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Manifest {
  readonly workspaces?: readonly string[];
  readonly bin?: Readonly<Record<string, string>>;
}

async function manifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
}

async function commands(): Promise<{ name: string; file: string }[]> {
  const out: { name: string; file: string }[] = [];
  for (const ws of (await manifest(root)).workspaces ?? []) {
    const dir = join(root, ws);
    for (const [name, file] of Object.entries((await manifest(dir)).bin ?? {}))
      out.push({ name, file: join(dir, file) });
  }
  return out;
}

describe('installed commands', () => {
  test('every workspace command is a file in git outside dist/, linked by npm and runnable', async () => {
    const list = await commands();
    assert.deepEqual(list.map((c) => c.name).sort(), ['komrade', 'komrade-bench', 'komrade-ops']);
    const { stdout: tracked } = await run('git', ['ls-files', '-s', ...list.map((c) => c.file)], {
      cwd: root,
    });
    for (const c of list) {
      const rel = c.file.slice(root.length + 1);
      assert.ok(!rel.split('/').includes('dist'), `${c.name} points into dist/: ${rel}`);
      // committed executable (mode 100755), so a fresh clone has it before any build
      assert.match(tracked, new RegExp(`^100755 \\S+ \\d\\t${rel}$`, 'm'), `${rel} in git, +x`);
      const linked = join(root, 'node_modules', '.bin', c.name);
      await access(linked, constants.X_OK);
      assert.equal(await realpath(linked), await realpath(c.file), `${c.name} links to ${rel}`);
      const { stdout } = await run(linked, ['--help'], { cwd: root });
      assert.match(stdout, new RegExp(c.name === 'komrade-bench' ? 'npm run bench' : c.name));
    }
  });
});
