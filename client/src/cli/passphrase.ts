import { KomradeError } from '@komrade/protocol';
import type { CliIo } from './io.js';

/**
 * Reads one line from a terminal without echoing it. Backspace edits, Ctrl-C and Ctrl-D
 * abort (an empty answer). Raw mode is always restored.
 */
export function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    let answer = '';
    const wasRaw = stdin.isRaw;
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(answer);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          done(new KomradeError('ERR_KEYSTORE_NO_PASSPHRASE', 'cancelled'));
          return;
        }
        // backspace removes the last code point (a passphrase is not split further)
        if (ch === '\u007f' || ch === '\b') answer = Array.from(answer).slice(0, -1).join('');
        else if (ch >= ' ') answer += ch;
      }
    };
    io.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The passphrase for an existing keystore: KOMRADE_PASSPHRASE, else a terminal prompt. */
export async function askPassphrase(io: CliIo): Promise<string> {
  const fromEnv = io.env['KOMRADE_PASSPHRASE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!io.stdin.isTTY) throw new KomradeError('ERR_KEYSTORE_NO_PASSPHRASE');
  return promptHidden(io, 'Passphrase: ');
}

/**
 * A passphrase for a new keystore: KOMRADE_PASSPHRASE, else asked twice at a terminal.
 * At least 8 characters (ERR_KEYSTORE_WEAK_PASSPHRASE).
 */
export async function askNewPassphrase(io: CliIo): Promise<string> {
  const fromEnv = io.env['KOMRADE_PASSPHRASE'];
  let p: string;
  if (fromEnv !== undefined && fromEnv !== '') p = fromEnv;
  else {
    if (!io.stdin.isTTY) throw new KomradeError('ERR_KEYSTORE_NO_PASSPHRASE');
    for (let attempt = 1; ; attempt++) {
      p = await promptHidden(io, 'Choose a passphrase (at least 8 characters): ');
      if (p.length < 8 || (await promptHidden(io, 'Repeat it: ')) === p) break;
      if (attempt === 3) throw new KomradeError('ERR_KEYSTORE_NO_PASSPHRASE', 'they differ');
      io.stderr.write('The two passphrases differ; try again.\n');
    }
  }
  if (p.length < 8) throw new KomradeError('ERR_KEYSTORE_WEAK_PASSPHRASE');
  return p;
}

/** Reads the first line of a non-terminal stdin (a pipe or a file), without the newline. */
export function readLine(io: CliIo): Promise<string> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.off('error', reject);
      stdin.pause();
      resolve(buf.split(/\r?\n/)[0] ?? '');
    };
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('utf8');
      if (buf.includes('\n')) finish();
    };
    stdin.on('data', onData);
    stdin.once('end', finish);
    stdin.once('error', reject);
    stdin.resume();
  });
}

/**
 * The phrase for an interactive safety-number check: asked without echo at a terminal,
 * else the first line of stdin. Never from the environment or the command line, where
 * other local users could see it.
 */
export async function askVerifyPhrase(io: CliIo, name: string): Promise<string> {
  const phrase = io.stdin.isTTY
    ? await promptHidden(io, `Phrase agreed with @${name} (never sent anywhere): `)
    : await readLine(io);
  if (phrase.length === 0) throw new KomradeError('ERR_CRYPTO_INPUT', 'empty phrase');
  return phrase;
}
