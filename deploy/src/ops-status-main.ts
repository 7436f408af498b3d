#!/usr/bin/env node
// `komrade-ops status` (and `npm run status`): lists every running service instance of a
// relay, found over NATS with one komrade.v1.ops.ping that every instance answers.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  collectStatus,
  DEFAULT_STATUS_WAIT_MS,
  formatEndpoints,
  formatTable,
  OpsStatusError,
  redactUrl,
  resolveNatsTarget,
  urlList,
  type StatusReport,
} from './ops-status.js';

/** Exit codes, also listed in --help. */
const OPS_EXIT = Object.freeze({
  ok: 0,
  /** NATS unreachable, no NATS URL found, or no instance answered. */
  unavailable: 1,
  usage: 2,
  /** Some answered, but a service has no instance or an instance is not ready. */
  degraded: 3,
});

const HELP_AFTER = `
Where NATS is (first found wins):
  --nats URL[,URL...]              the relay's NATS servers
  KOMRADE_NATS_URLS                the same, from the environment
  $KOMRADE_STATE_DIR/cluster.json  a local relay started with "npm start"
                                   (default state directory: ./.komrade)

Exit codes:
  0  every service (operator, sorter, vouch, purge) has an instance and all are ready
  1  NATS unreachable, no NATS URL found, or no instance answered
  2  usage error
  3  some instances answered, but a service is missing or an instance is not ready
`;

interface StatusOptions {
  readonly nats?: string;
  readonly json?: boolean;
  readonly endpoints?: boolean;
  readonly wait: number;
}

function milliseconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 100 || n > 60_000)
    throw new InvalidArgumentError('100 to 60000 milliseconds');
  return n;
}

function natsUrls(v: string): string {
  try {
    urlList(v, '--nats');
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new InvalidArgumentError(message.replace(/^--nats: /, ''));
  }
  return v;
}

function exitCodeOf(r: StatusReport): number {
  if (r.instances.length === 0) return OPS_EXIT.unavailable;
  return r.missing.length > 0 || r.notReady.length > 0 ? OPS_EXIT.degraded : OPS_EXIT.ok;
}

async function status(o: StatusOptions): Promise<number> {
  const target = await resolveNatsTarget({ nats: o.nats, env: process.env, cwd: process.cwd() });
  const report = await collectStatus(target, { waitMs: o.wait });
  const where = target.servers.map(redactUrl).join(', ');
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else if (report.instances.length > 0) {
    const lines = [formatTable(report.instances)];
    if (o.endpoints) lines.push('', formatEndpoints(report.instances));
    const services = new Set(report.instances.map((i) => i.service)).size;
    lines.push(
      '',
      `${String(report.instances.length)} instance(s) of ${String(services)} service(s) ` +
        `answered on ${where} within ${String(report.waitedMs)} ms.`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (report.instances.length === 0)
    process.stderr.write(
      `No service instance answered komrade.v1.ops.ping on ${where} ` +
        `(from ${target.source}): is the relay running?\n`,
    );
  for (const s of report.missing)
    if (report.instances.length > 0) process.stderr.write(`warning: no ${s} instance answered\n`);
  for (const i of report.notReady) process.stderr.write(`warning: ${i} is not ready\n`);
  if (report.malformed > 0)
    process.stderr.write(
      `warning: ignored ${String(report.malformed)} reply(ies) that were not ops ping replies\n`,
    );
  return exitCodeOf(report);
}

/** Runs the command line; resolves with the exit code. */
async function run(argv: readonly string[]): Promise<number> {
  let result: Promise<number> = Promise.resolve(OPS_EXIT.ok);
  const program = new Command('komrade-ops')
    .description('Operator tools for a running Komrade relay.')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  program
    .command('status', { isDefault: true })
    .description(
      'List every running service instance (version, uptime, readiness, request and ' +
        'error counts, memory), found over NATS.',
    )
    .option('--nats <urls>', 'NATS server URL(s), comma-separated', natsUrls)
    .option('--json', 'machine-readable output on stdout')
    .option('--endpoints', 'also list request counts per NATS endpoint')
    .option('--wait <ms>', 'how long to collect replies', milliseconds, DEFAULT_STATUS_WAIT_MS)
    .addHelpText('after', HELP_AFTER)
    .action((opts: StatusOptions) => {
      result = status(opts);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? OPS_EXIT.ok : OPS_EXIT.usage; // help / version, or bad usage
    throw e;
  }
  try {
    return await result;
  } catch (e) {
    if (e instanceof OpsStatusError) {
      process.stderr.write(`komrade-ops status: ${e.message}\n`);
      return OPS_EXIT.unavailable;
    }
    throw e;
  }
}

process.exitCode = await run(process.argv.slice(2));
