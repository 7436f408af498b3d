import { createHash, randomBytes } from 'node:crypto';
import { initCrypto, KomradeError } from '@komrade/protocol';
import { socksTransport } from '../node/socks-transport.js';
import type { AccountState } from '../sdk/account.js';
import { KomradeClient } from '../sdk/komrade-client.js';
import { Komrade } from '../sdk/komrade.js';
import { Keystore, withKeystoreLock } from '../sdk/keystore-file.js';
import { ReplayGuard } from '../sdk/replay-guard.js';
import { httpTransport } from '../sdk/transport.js';
import { resolveHome, resolveOperator, type CliIo } from './io.js';
import { askPassphrase } from './passphrase.js';
import { Progress } from './progress.js';

/** Options every command accepts. */
export interface GlobalOptions {
  readonly home?: string;
  readonly operator?: string;
  /** Tor's SOCKS port (socks5h://...): reach the operator through Tor. */
  readonly tor?: string;
  readonly json?: boolean;
  readonly debug?: boolean;
}

/**
 * Spinners only on a real terminal with a width: some pseudo-terminals (`script`, serial
 * consoles) report 0 columns, and ora then computes an infinite number of lines to clear.
 */
function spinnersFit(io: CliIo): boolean {
  const err = io.stderr as { isTTY?: boolean; columns?: number };
  return err.isTTY === true && (err.columns ?? 0) > 0 && io.env['TERM'] !== 'dumb';
}

/** Replay guard window: mail lives at most 7 days, accept up to 8 (as KomradeClient). */
const REPLAY_WINDOW_MS = 8 * 86_400_000;

/** What one CLI invocation works with: where the account is, which operator, how to talk. */
export class CliSession {
  readonly home: string;
  readonly operator: string;
  readonly tor: string | undefined;
  readonly json: boolean;
  readonly progress: Progress;

  constructor(
    readonly io: CliIo,
    opts: GlobalOptions,
  ) {
    this.home = resolveHome(io, opts.home);
    this.operator = resolveOperator(io, opts.operator);
    this.tor = opts.tor;
    this.json = opts.json ?? false;
    this.progress = new Progress(io, !this.json && spinnersFit(io));
  }

  /** An SDK client for the operator; `account` seeds the replay guard. */
  client(account?: AccountState): KomradeClient {
    let baseUrl: URL;
    try {
      baseUrl = new URL(this.operator);
    } catch {
      throw new KomradeError('ERR_CLIENT_UNREACHABLE', 'not a URL');
    }
    if (baseUrl.hostname.endsWith('.onion') && this.tor === undefined)
      throw new KomradeError('ERR_CLIENT_UNREACHABLE', 'an onion address needs --tor');
    const transport =
      this.tor === undefined
        ? httpTransport({ baseUrl: baseUrl.href })
        : socksTransport({
            baseUrl: baseUrl.href,
            socksUrl: this.tor,
            // one Tor circuit per account (stream isolation); a throwaway one without
            isolationKey: account
              ? createHash('sha256').update(account.identity.publicKey).digest('hex')
              : randomBytes(16).toString('hex'),
          });
    return new KomradeClient({
      transport,
      onPostageProgress: this.progress.postage,
      ...(account ? { replayGuard: ReplayGuard.import(REPLAY_WINDOW_MS, account.replay) } : {}),
    });
  }

  async crypto(): Promise<void> {
    await initCrypto();
  }

  /** Unlocks the keystore (one slow key derivation, under a spinner). */
  async unlock(): Promise<Keystore> {
    const passphrase = await askPassphrase(this.io);
    await this.crypto();
    return this.progress.step('Unlocking keystore', () => Keystore.open(this.home, passphrase));
  }

  /**
   * Runs `fn` with the unlocked account, holding the keystore lock. The account is saved
   * only by the Komrade operations that need it (and by `fn` through `save`), so a
   * failure before any save leaves the keystore file exactly as it was.
   */
  withAccount<T>(fn: (k: Komrade, ks: Keystore) => Promise<T>): Promise<T> {
    return withKeystoreLock(this.home, async () => {
      const ks = await this.unlock();
      const komrade = new Komrade({
        client: this.client(ks.account),
        account: ks.account,
        persist: () => ks.save(),
      });
      return fn(komrade, ks);
    });
  }
}
