/**
 * The keystore on disk (Node only): atomic, durable writes with a backup of the previous
 * version, and a lock so two commands never interleave their updates.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KomradeError } from '@komrade/protocol';
import type { AccountState } from './account.js';
import { openAccount, sealAccount, type Unlocked } from './keystore-format.js';

export interface KeystorePaths {
  readonly home: string;
  /** The encrypted account. */
  readonly file: string;
  /** The version before the last save. */
  readonly backup: string;
  /** Held while a command uses the keystore. */
  readonly lock: string;
}

export function keystorePaths(home: string): KeystorePaths {
  return {
    home,
    file: join(home, 'keystore.kmk'),
    backup: join(home, 'keystore.kmk.bak'),
    lock: join(home, 'keystore.lock'),
  };
}

function ioError(e: unknown): KomradeError {
  const code = (e as { code?: unknown }).code;
  return new KomradeError('ERR_KEYSTORE_IO', typeof code === 'string' ? code : undefined);
}

/** Reads a file, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw ioError(e);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch {
    // some file systems cannot fsync a directory; the rename itself is still atomic
  } finally {
    await fh?.close();
  }
}

async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old or the
 * new content, never a mix: write a temporary file in the same directory, fsync it,
 * (optionally) copy the current file to `backup` the same way, rename over, fsync the
 * directory. On any failure the temporary files are removed and `path` is untouched.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
  o: { readonly backup?: string } = {},
): Promise<void> {
  const suffix = `.${process.pid}.${nodeRandomBytes(6).toString('hex')}.tmp`;
  const tmp = path + suffix;
  const backupTmp = o.backup === undefined ? undefined : o.backup + suffix;
  try {
    await writeSynced(tmp, data);
    if (o.backup !== undefined && backupTmp !== undefined) {
      try {
        await copyFile(path, backupTmp, constants.COPYFILE_EXCL);
        const fh = await open(backupTmp, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(backupTmp, o.backup);
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ENOENT' || (await readIfExists(path)) !== undefined)
          throw e;
      }
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (e) {
    await rm(tmp, { force: true });
    if (backupTmp !== undefined) await rm(backupTmp, { force: true });
    throw e instanceof KomradeError ? e : ioError(e);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Takes the keystore lock (an exclusive-create file holding our pid) for the duration of
 * `fn`. A lock left by a process that no longer exists is taken over; a live one is
 * `ERR_KEYSTORE_LOCKED`.
 */
export async function withKeystoreLock<T>(home: string, fn: () => Promise<T>): Promise<T> {
  const { lock } = keystorePaths(home);
  try {
    await mkdir(home, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError(e);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await writeSynced(lock, new TextEncoder().encode(`${process.pid}\n`));
      break;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EEXIST') throw ioError(e);
      const holder = Number.parseInt(
        new TextDecoder().decode((await readIfExists(lock)) ?? new Uint8Array()),
        10,
      );
      if (attempt > 0 || (Number.isInteger(holder) && holder > 0 && isAlive(holder)))
        throw new KomradeError('ERR_KEYSTORE_LOCKED');
      await rm(lock, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * An unlocked keystore. `account` is the live state: change it, then `save()`. Nothing
 * is written unless `save()` is called, so a command that fails before saving leaves the
 * file exactly as it was (byte for byte).
 */
export class Keystore {
  private constructor(
    readonly paths: KeystorePaths,
    private unlocked: Unlocked,
    readonly account: AccountState,
  ) {}

  /** Whether a keystore file exists in `home`. */
  static async exists(home: string): Promise<boolean> {
    return (await readIfExists(keystorePaths(home).file)) !== undefined;
  }

  /** Unlocks the keystore in `home` (one slow key derivation). */
  static async open(home: string, passphrase: string): Promise<Keystore> {
    const paths = keystorePaths(home);
    const bytes = await readIfExists(paths.file);
    if (bytes === undefined) throw new KomradeError('ERR_KEYSTORE_MISSING');
    const unlocked = openAccount(bytes, passphrase);
    return new Keystore(paths, unlocked, unlocked.account);
  }

  /**
   * Writes a new keystore for `account` in `home` (one slow key derivation).
   * `ERR_KEYSTORE_EXISTS` if there is one already, unless `replace` (then the old file
   * becomes the backup).
   */
  static async create(
    home: string,
    passphrase: string,
    account: AccountState,
    o: { readonly replace?: boolean } = {},
  ): Promise<Keystore> {
    const paths = keystorePaths(home);
    if (!o.replace && (await Keystore.exists(home))) throw new KomradeError('ERR_KEYSTORE_EXISTS');
    const sealed = sealAccount(account, passphrase, 'keystore');
    try {
      await mkdir(home, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw ioError(e);
    }
    await writeFileAtomic(paths.file, sealed.bytes, { backup: paths.backup });
    return new Keystore(paths, sealed.unlocked, account);
  }

  /** Saves the account (fast: no key derivation), keeping the previous file as backup. */
  async save(): Promise<void> {
    await writeFileAtomic(this.paths.file, this.unlocked.reseal(this.account), {
      backup: this.paths.backup,
    });
  }

  /**
   * Writes the whole account to `file`, sealed under `passphrase` with a fresh master
   * key (one slow key derivation). Refuses to overwrite an existing file.
   */
  async exportTo(file: string, passphrase: string): Promise<void> {
    if ((await readIfExists(file)) !== undefined) throw new KomradeError('ERR_KEYSTORE_EXISTS');
    await writeFileAtomic(file, sealAccount(this.account, passphrase, 'export').bytes);
  }

  /**
   * Restores an exported account (or a copied keystore file) into `home`: two slow key
   * derivations, one to open the export and one to seal the new keystore. The export is
   * not changed. `ERR_KEYSTORE_EXISTS` if `home` has an account, unless `replace`.
   */
  static async importFrom(
    home: string,
    file: string,
    passphrase: string,
    o: { readonly replace?: boolean } = {},
  ): Promise<Keystore> {
    const bytes = await readIfExists(file);
    if (bytes === undefined) throw new KomradeError('ERR_KEYSTORE_MISSING');
    if (!o.replace && (await Keystore.exists(home))) throw new KomradeError('ERR_KEYSTORE_EXISTS');
    const { account } = openAccount(bytes, passphrase);
    return Keystore.create(home, passphrase, account, { replace: o.replace ?? false });
  }
}
