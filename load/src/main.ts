#!/usr/bin/env node
// `npm run bench`: reads flags, runs, writes load/results/, prints the table. Ctrl-C stops
// every server and service this run started (they run in their own process groups).
import { livePids } from '@komrade/deploy';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './options.js';
import { Progress } from './progress.js';
import { runBench } from './run-bench.js';
import { sealCommand } from './seal-command.js';
import { renderTable, writeSummary } from './summary.js';

const args = process.argv.slice(2);

process.once('SIGINT', () => {
  process.stderr.write('\nbench: interrupted, stopping what this run started\n');
  for (const pid of livePids()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  // give them a moment to exit cleanly; deploy's exit hook SIGKILLs whatever is left
  setTimeout(() => process.exit(130), 2000).unref();
});

try {
  if (args[0] === 'seal') await sealCommand(args.slice(1));
  else if (args.includes('-h') || args.includes('--help')) process.stdout.write(`${USAGE}\n`);
  else {
    const resultsDir = fileURLToPath(new URL('../../results', import.meta.url));
    const o = parseBenchArgs(args, resultsDir);
    const summary = await runBench(o, new Progress(o.progress));
    const { file } = await writeSummary(o.resultsDir, summary);
    process.stdout.write(`\n${renderTable(summary)}\n\n`);
    for (const c of summary.caveats) process.stdout.write(`note: ${c}\n`);
    process.stdout.write(`results: ${file} (and latest.json)\n`);
    if (summary.lost > 0 || summary.duplicated > 0) {
      process.stderr.write(
        `bench: LOSS CHECK FAILED: ${summary.lost} lost, ${summary.duplicated} duplicated\n`,
      );
      process.exitCode = 1;
    }
  }
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
