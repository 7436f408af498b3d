import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The process surface the CLI uses, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadStream;
  readonly env: Record<string, string | undefined>;
  readonly platform: NodeJS.Platform;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    platform: process.platform,
  };
}

/** Where the operator is when nothing says otherwise: `npm start` on this machine. */
export const DEFAULT_OPERATOR = 'http://127.0.0.1:8080';

/**
 * The account directory: --home, else KOMRADE_HOME, else the user's configuration
 * directory ($XDG_CONFIG_HOME/komrade or ~/.config/komrade; the platform's equivalent
 * on macOS and Windows).
 */
export function resolveHome(io: CliIo, flag: string | undefined): string {
  if (flag !== undefined && flag !== '') return flag;
  const env = io.env['KOMRADE_HOME'];
  if (env !== undefined && env !== '') return env;
  const home = io.env['HOME'] ?? homedir();
  if (io.platform === 'win32')
    return join(io.env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'komrade');
  if (io.platform === 'darwin') return join(home, 'Library', 'Application Support', 'komrade');
  const xdg = io.env['XDG_CONFIG_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(home, '.config'), 'komrade');
}

/**
 * The operator address: --operator, else KOMRADE_OPERATOR, else the relay `npm start` is
 * running from this directory (the `operator.url` of $KOMRADE_STATE_DIR/cluster.json,
 * default ./.komrade/cluster.json), else DEFAULT_OPERATOR.
 */
export function resolveOperator(io: CliIo, flag: string | undefined): string {
  if (flag !== undefined && flag !== '') return flag;
  const env = io.env['KOMRADE_OPERATOR'];
  if (env !== undefined && env !== '') return env;
  return localClusterOperator(io) ?? DEFAULT_OPERATOR;
}

function localClusterOperator(io: CliIo): string | undefined {
  const dir = io.env['KOMRADE_STATE_DIR'];
  try {
    const file = JSON.parse(
      readFileSync(
        join(dir !== undefined && dir !== '' ? dir : '.komrade', 'cluster.json'),
        'utf8',
      ),
    ) as { operator?: { url?: unknown } };
    const url = file.operator?.url;
    return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined;
  } catch {
    return undefined;
  }
}

// C0 and C1 controls except tab and line feed, and bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from other people, made safe for a terminal: control characters (escape
 * sequences could rewrite the screen) and bidirectional overrides (could disguise a
 * line) are replaced. Line breaks and tabs are kept.
 */
export function safeText(s: string): string {
  return s.replace(UNSAFE, '\ufffd');
}
