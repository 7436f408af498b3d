import {
  cellOpenWithKey,
  cellOpenWithPassphrase,
  cellSealWithKey,
  cellSealWithPassphrase,
  KomradeError,
} from '@komrade/protocol';
import { deserializeAccount, serializeAccount, type AccountState } from './account.js';
import { randomBytes } from './random.js';

/** "KMKS": Komrade keystore. */
const MAGIC = Uint8Array.of(0x4b, 0x4d, 0x4b, 0x53);
/** Container format written by this build. */
export const KEYSTORE_FORMAT = 1;
const MASTER_KEY_SIZE = 32;
const MIN_PASSPHRASE = 8;

/** A live keystore file (`keystore.kmk`) or an exported account (`komrade export`). */
export type KeystoreKind = 'keystore' | 'export';
const KIND_BYTE: Record<KeystoreKind, number> = { keystore: 1, export: 2 };

const enc = new TextEncoder();
const keyContext = (k: number): Uint8Array => enc.encode(`KMKS/1/master-key/${k}`);
const bodyContext = (k: number): Uint8Array => enc.encode(`KMKS/1/account/${k}`);

/*
 * Keystore container, all integers big-endian:
 * +-------------+-----------+---------+--------------------------------+-------------------------------+
 * | "KMKS" (4)  | format u8 | kind u8 | wrapped key (u16 len + bytes)  | account (u32 len + bytes)     |
 * +-------------+-----------+---------+--------------------------------+-------------------------------+
 * wrapped key = Secure Cell seal with the passphrase (PBKDF2, slow) of a random 32-byte
 *               master key, context "KMKS/1/master-key/<kind>";
 * account     = Secure Cell seal with the master key (fast) of the account JSON,
 *               context "KMKS/1/account/<kind>".
 * The slow derivation runs once per unlock; saving the account again reuses the master
 * key, so a command that saves several times pays for the passphrase only once.
 * Passphrases are used in Unicode NFC form, so the same words typed on two systems that
 * compose accents differently still unlock the account.
 */
interface Container {
  readonly format: number;
  readonly kind: number;
  readonly wrappedKey: Uint8Array;
  readonly body: Uint8Array;
}

function writeContainer(c: Container): Uint8Array {
  const out = new Uint8Array(4 + 2 + 2 + c.wrappedKey.length + 4 + c.body.length);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = c.format;
  out[5] = c.kind;
  dv.setUint16(6, c.wrappedKey.length);
  out.set(c.wrappedKey, 8);
  const o = 8 + c.wrappedKey.length;
  dv.setUint32(o, c.body.length);
  out.set(c.body, o + 4);
  return out;
}

function readContainer(bytes: Uint8Array): Container {
  const corrupt = (): KomradeError => new KomradeError('ERR_KEYSTORE_CORRUPT');
  if (bytes.length < 12 || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = bytes[4] as number;
  if (format !== KEYSTORE_FORMAT) throw new KomradeError('ERR_KEYSTORE_VERSION');
  const kind = bytes[5] as number;
  if (kind !== 1 && kind !== 2) throw corrupt();
  const keyLen = dv.getUint16(6);
  if (8 + keyLen + 4 > bytes.length) throw corrupt();
  const wrappedKey = bytes.slice(8, 8 + keyLen);
  const o = 8 + keyLen;
  const bodyLen = dv.getUint32(o);
  if (o + 4 + bodyLen !== bytes.length) throw corrupt();
  return { format, kind, wrappedKey, body: bytes.slice(o + 4) };
}

/** The unlocked form: the master key stays in memory to re-seal the account cheaply. */
export interface Unlocked {
  readonly account: AccountState;
  readonly kind: KeystoreKind;
  /** Seals the account again with the same master key (no key derivation). */
  reseal(account: AccountState): Uint8Array;
}

/** Rejects passphrases too short to resist guessing (the KDF only slows guessing down). */
export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE) throw new KomradeError('ERR_KEYSTORE_WEAK_PASSPHRASE');
}

function sealer(kind: number, wrappedKey: Uint8Array, masterKey: Uint8Array) {
  return (account: AccountState): Uint8Array => {
    const body = cellSealWithKey(masterKey, serializeAccount(account), bodyContext(kind));
    if (!body.ok) throw new KomradeError(body.code);
    return writeContainer({ format: KEYSTORE_FORMAT, kind, wrappedKey, body: body.value });
  };
}

/**
 * Seals an account under a passphrase with a fresh master key: one slow key derivation.
 * Returns the container bytes and an Unlocked handle for later saves.
 */
export function sealAccount(
  account: AccountState,
  passphrase: string,
  kind: KeystoreKind,
): { bytes: Uint8Array; unlocked: Unlocked } {
  checkPassphrase(passphrase);
  const k = KIND_BYTE[kind];
  const masterKey = randomBytes(MASTER_KEY_SIZE);
  const wrapped = cellSealWithPassphrase(passphrase.normalize('NFC'), masterKey, keyContext(k));
  if (!wrapped.ok) throw new KomradeError(wrapped.code);
  const reseal = sealer(k, wrapped.value, masterKey);
  return { bytes: reseal(account), unlocked: { account, kind, reseal } };
}

/**
 * Opens a container: one slow key derivation. A wrong passphrase is
 * `ERR_KEYSTORE_PASSPHRASE` (Secure Cell cannot tell it from a tampered wrapped key); a
 * body that fails to open or parse with the right key is `ERR_KEYSTORE_CORRUPT`.
 */
export function openAccount(bytes: Uint8Array, passphrase: string): Unlocked {
  const c = readContainer(bytes);
  const masterKey = cellOpenWithPassphrase(
    passphrase.normalize('NFC'),
    c.wrappedKey,
    keyContext(c.kind),
  );
  if (!masterKey.ok || masterKey.value.length !== MASTER_KEY_SIZE)
    throw new KomradeError('ERR_KEYSTORE_PASSPHRASE');
  const body = cellOpenWithKey(masterKey.value, c.body, bodyContext(c.kind));
  if (!body.ok) throw new KomradeError('ERR_KEYSTORE_CORRUPT');
  const account = deserializeAccount(body.value);
  if (account === undefined) throw new KomradeError('ERR_KEYSTORE_CORRUPT');
  return {
    account,
    kind: c.kind === 1 ? 'keystore' : 'export',
    reseal: sealer(c.kind, c.wrappedKey, masterKey.value),
  };
}
