import { existsSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { errorInfo, KomradeError } from '@komrade/protocol';
import { accept, contacts, meet, requests, verify } from './commands/contacts.js';
import { exportAccount, importAccount, register, whois } from './commands/identity.js';
import {
  collectiveCreate,
  collectiveShow,
  collectiveVote,
  DEFAULT_POLICY,
  join,
  leave,
  vouch,
  vouches,
} from './commands/collectives.js';
import { inbox, send } from './commands/messages.js';
import { feed, parseTtl, post } from './commands/posts.js';
import { DEFAULT_OPERATOR, type CliIo } from './io.js';
import { EXIT, exitCodeFor, messageFor } from './messages.js';
import { print, type Output } from './output.js';
import { CliSession, type GlobalOptions } from './session.js';

export const CLI_VERSION = '0.1.0';

function socksUrl(v: string): string {
  if (!/^socks5h:\/\/[^\s/]+:\d+\/?$/.test(v))
    throw new InvalidArgumentError('use socks5h://host:port (names must resolve inside Tor)');
  return v;
}

function ttl(v: string): number {
  const n = parseTtl(v);
  if (n === undefined) throw new InvalidArgumentError('a lifetime like 3d, 12h, 30m or 90s');
  return n;
}

function existingFile(v: string): string {
  if (!existsSync(v)) throw new InvalidArgumentError('no such file');
  return v;
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('1 to 10000');
  return n;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3600)
    throw new InvalidArgumentError('1 to 3600 seconds');
  return n;
}

const EXIT_HELP = `
Exit codes:
  0  success
  1  unexpected failure (a bug: please report it, run again with --debug)
  2  usage error
  3  refused (invalid or taken name, unknown contact, file exists, ...)
  4  account cannot be opened (no account, wrong passphrase, damaged, locked)
  5  operator unreachable or relay unavailable (try again later)
  6  safety numbers differ

Environment:
  KOMRADE_HOME        account directory (default: ~/.config/komrade)
  KOMRADE_OPERATOR    operator address (default: ${DEFAULT_OPERATOR})
  KOMRADE_PASSPHRASE  keystore passphrase, for scripts (otherwise you are asked)
`;

/**
 * Builds the `komrade` command tree. Each action returns an Output; `run` prints it and
 * turns failures into one clear line and an exit code.
 */
function build(io: CliIo, done: (out: Output, s: CliSession) => void): Command {
  const program = new Command('komrade')
    .description('Komrade: talk to your komrades over mailboxes the relay cannot tie to you.')
    .version(CLI_VERSION, '-V, --version')
    .option('--home <dir>', 'account directory (default: $KOMRADE_HOME or ~/.config/komrade)')
    .option(
      '--operator <url>',
      `operator address (default: $KOMRADE_OPERATOR or ${DEFAULT_OPERATOR})`,
    )
    .addOption(
      new Option(
        '--tor <socks-url>',
        "reach the operator through Tor's SOCKS port, e.g. socks5h://127.0.0.1:9050",
      ).argParser(socksUrl),
    )
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'show internal details of unexpected failures')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (t) => io.stdout.write(t),
      writeErr: (t) => io.stderr.write(t),
    });

  const session = (): CliSession => new CliSession(io, program.opts<GlobalOptions>());
  /** A blank text is a usage error (exit 2) before anything is asked or sent. */
  const refuseBlank = (words: readonly string[], cmd: Command, what: string): void => {
    if (words.join(' ').trim() === '') cmd.error(`error: the ${what} is empty`, { exitCode: 2 });
  };
  const action =
    <A extends unknown[]>(fn: (s: CliSession, ...args: A) => Promise<Output>) =>
    async (...args: A): Promise<void> => {
      const s = session();
      done(await fn(s, ...args), s);
    };

  program
    .command('register')
    .argument('<name>', 'the name to register: 3-32 of a-z, 0-9, _ (case-insensitive)')
    .description('create your account (first time) and register @name in the directory')
    .action(action((s, name: string) => register(s, name)));

  program
    .command('whois')
    .argument('<name>', 'a registered name')
    .description('look a name up in the directory and show its verified entry')
    .action(action((s, name: string) => whois(s, name)));

  program
    .command('meet')
    .argument('<name>', 'who to meet')
    .option('--note <text>', 'a short greeting so they recognise you (at most 280 bytes)')
    .description('send a contact request to @name (or accept theirs if they asked first)')
    .action(action((s, name: string, o: { note?: string }) => meet(s, name, o)));

  program
    .command('requests')
    .description('fetch and list contact requests waiting for you')
    .action(action((s) => requests(s)));

  program
    .command('accept')
    .argument('<name>', 'who asked to meet you')
    .description('accept the contact request from @name')
    .action(action((s, name: string) => accept(s, name)));

  program
    .command('contacts')
    .option('--no-fetch', 'do not contact the operator; show what this device knows')
    .description('list your contacts')
    .action(action((s, o: { fetch: boolean }) => contacts(s, o)));

  program
    .command('verify')
    .argument('<name>', 'a contact')
    .option(
      '-i, --interactive',
      'check live with the contact (Secure Comparator) using a phrase you both know; both run it at once',
    )
    .addOption(
      new Option('--timeout <seconds>', 'give up the interactive check after this long')
        .default(120)
        .argParser(seconds),
    )
    .description('show the safety number you share with @name, or check it live')
    .action(
      action((s, name: string, o: { interactive?: boolean; timeout: number }) =>
        verify(s, name, o),
      ),
    );

  program
    .command('send')
    .argument('<name>', 'a contact')
    .argument('<text...>', 'the message')
    .description('send a message to a contact')
    .action(
      action((s, name: string, text: string[], _o: unknown, cmd: Command) => {
        refuseBlank(text, cmd, 'message');
        return send(s, name, text);
      }),
    );

  program
    .command('inbox')
    .description('fetch, decrypt and show new messages (they are deleted from the relay)')
    .action(action((s) => inbox(s)));

  const collective = program
    .command('collective')
    .description(
      'found a collective, show one (members, vouch counts, quorum), vote on its policy',
    );
  collective
    .command('create')
    .argument(
      '<name>',
      'the collective: 3-32 of a-z, 0-9, _ (its own namespace, apart from komrades)',
    )
    .addOption(
      new Option(
        '--quorum <policy>',
        'vouches needed to admit, by size n: fixed:N, fraction:NUM/DEN[:MIN] (ceil(n*NUM/DEN), at least MIN) or steps:UPTO=Q,...[,n/DIV+ADD]',
      ).default(DEFAULT_POLICY),
    )
    .description('found a collective; you are its first member and hold its group key')
    .action(action((s, name: string, o: { quorum?: string }) => collectiveCreate(s, name, o)));
  collective
    .command('show')
    .argument('<name>', 'a collective')
    .description('members and candidates with their vouch counts, and the quorum now')
    .action(action((s, name: string) => collectiveShow(s, name)));
  collective
    .command('vote')
    .argument('<name>', 'a collective you are a member of')
    .argument('<policy>', 'the quorum policy you vote for (forms as for create --quorum)')
    .description('vote to change the quorum policy; it changes when votes reach the quorum')
    .action(action((s, name: string, policy: string) => collectiveVote(s, name, policy)));

  program
    .command('join')
    .argument('<collective>', 'a collective: name, or name@relay for one on a peer relay')
    .description('ask to join a collective: members vouch, and at the quorum you are in')
    .action(action((s, c: string) => join(s, c)));

  program
    .command('vouch')
    .argument('<collective>', 'a collective you are a member of')
    .argument('<name>', 'a komrade who asked to join it')
    .description('vouch for a candidate (nobody learns who vouched; counts are public)')
    .action(action((s, c: string, name: string) => vouch(s, c, name)));

  program
    .command('leave')
    .argument('<collective>', 'a collective you are a member or candidate of')
    .description('leave a collective (or withdraw your candidacy)')
    .action(action((s, c: string) => leave(s, c)));

  program
    .command('vouches')
    .argument('<name>', 'a registered name')
    .description('how many vouches a komrade has received, over every collective')
    .action(action((s, name: string) => vouches(s, name)));

  program
    .command('post')
    .argument('<text...>', 'the post: at most 1000 characters')
    .option('--to <audience>', 'world, friends, @collective or @collective@relay', 'world')
    .addOption(
      new Option(
        '--image <file>',
        'one PNG, JPEG, GIF or WebP image (about 60 KB at most)',
      ).argParser(existingFile),
    )
    .addOption(
      new Option(
        '--ttl <lifetime>',
        'how long it lives, like 3d or 12h (world: default 7 days; friends and collectives: at most 7 days)',
      ).argParser(ttl),
    )
    .description('post to the world (signed, public), to your contacts, or to a collective')
    .action(
      action(
        (s, text: string[], o: { to?: string; image?: string; ttl?: number }, cmd: Command) => {
          // an image carries a post on its own
          if (o.image === undefined) refuseBlank(text, cmd, 'post');
          return post(s, text, o);
        },
      ),
    );

  program
    .command('feed')
    .option('--no-world', 'only friends and collective posts')
    .addOption(new Option('--limit <n>', 'show at most this many posts').argParser(count))
    .option('--images <dir>', 'save the images of the posts shown into this directory')
    .description('world, friends and collective posts, newest first, authors checked')
    .action(action((s, o: { world: boolean; limit?: number; images?: string }) => feed(s, o)));

  program
    .command('export')
    .argument('<file>', 'where to write the encrypted account')
    .description('write your whole account, encrypted with your passphrase, to one file')
    .action(action((s, file: string) => exportAccount(s, file)));

  program
    .command('import')
    .argument('<file>', 'a file written by `komrade export`')
    .option(
      '--force',
      'replace the account in --home (the old keystore is kept as keystore.kmk.bak)',
    )
    .description('restore an exported account into --home')
    .action(action((s, file: string, o: { force?: boolean }) => importAccount(s, file, o)));

  for (const c of [...program.commands, ...collective.commands])
    c.addHelpText(
      'after',
      '\nGlobal options, environment and exit codes: komrade --help',
    ).showHelpAfterError();
  return program;
}

/** Runs the CLI once; resolves with the process exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let session: CliSession | undefined;
  const program = build(io, (out, s) => {
    session = s;
    print(s, out);
  });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const s = session ?? new CliSession(io, globals());
    if (e instanceof KomradeError) {
      const line = messageFor(e.code, { operator: s.operator });
      if (s.json)
        io.stderr.write(
          `${JSON.stringify({ error: { code: e.code, message: line, retryable: errorInfo(e.code).retryable } })}\n`,
        );
      else io.stderr.write(`komrade: ${line}\n`);
      return exitCodeFor(e.code);
    }
    const detail = e instanceof Error ? e.message : String(e);
    io.stderr.write(`komrade: unexpected failure: ${detail}\n`);
    if (globals().debug && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return EXIT.bug;
  }
}
