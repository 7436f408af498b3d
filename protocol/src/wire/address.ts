import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import type { Writer } from './writer.js';

/** Mailbox ids are 16 random bytes, never derived from names or keys. */
export const MAILBOX_ID_SIZE = 16;
/** Message (envelope) ids: the first 16 bytes of a SHA-256 digest. */
export const MESSAGE_ID_SIZE = 16;
/** Themis EC public and private keys are 45-byte containers. */
export const PUBLIC_KEY_SIZE = 45;
export const RELAY_NAME_MAX = 63;

const RELAY_RE = /^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;

/** A relay name: 1-63 chars of [a-z0-9.-], starting and ending alphanumeric. */
export function isRelayName(name: string): boolean {
  return RELAY_RE.test(name);
}

/** Where mail goes: a mailbox id on a named relay (federation routes by the relay). */
export interface MailboxAddress {
  readonly relay: string;
  readonly id: Uint8Array;
}

/*
 * +--------+----------------------+------------------------------+
 * | len u8 | relay name (ASCII)   | mailbox id (16 bytes)        |
 * +--------+----------------------+------------------------------+
 */
export function writeAddress(w: Writer, a: MailboxAddress): void {
  if (!isRelayName(a.relay)) throw new RangeError('invalid relay name');
  if (a.id.length !== MAILBOX_ID_SIZE) throw new RangeError('mailbox id must be 16 bytes');
  w.bytesU8(new TextEncoder().encode(a.relay)).bytes(a.id);
}

export function readAddress(r: Reader): MailboxAddress {
  const relay = readRelay(r);
  return { relay, id: r.bytesFixed(MAILBOX_ID_SIZE, 'mailbox id') };
}

export function readRelay(r: Reader): string {
  const raw = r.bytesU8(1, RELAY_NAME_MAX, 'relay');
  let s = '';
  for (const b of raw) s += String.fromCharCode(b);
  if (!isRelayName(s)) throw new WireError('ERR_WIRE_FIELD', 'relay');
  return s;
}

/** Lower-case hex, used for ids in text form (never in logs). */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Parses lower- or upper-case hex; returns undefined on any bad character or odd length. */
export function fromHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Text form of an address: `<32 hex>@<relay>`. */
export function formatAddress(a: MailboxAddress): string {
  return `${toHex(a.id)}@${a.relay}`;
}

export function parseAddress(s: string): MailboxAddress | undefined {
  const at = s.indexOf('@');
  if (at < 0) return undefined;
  const id = fromHex(s.slice(0, at));
  const relay = s.slice(at + 1);
  if (!id || id.length !== MAILBOX_ID_SIZE || !isRelayName(relay)) return undefined;
  return { relay, id };
}
