import {
  formatAddress,
  generateKeyPair,
  MAILBOX_ID_SIZE,
  type KeyPair,
  type MailboxAddress,
} from '@komrade/protocol';
import { randomBytes } from './random.js';

/** A mailbox this client owns: a random id on a relay, and the key pair that proves it. */
export interface OwnedMailbox {
  readonly address: MailboxAddress;
  readonly keys: KeyPair;
}

/** Makes a new mailbox locally (register it with KomradeClient.createMailbox). */
export function newMailbox(relay: string): OwnedMailbox {
  return { address: { relay, id: randomBytes(MAILBOX_ID_SIZE) }, keys: generateKeyPair() };
}

/** What a sender needs to write to a mailbox. */
export interface MailboxTarget {
  readonly address: MailboxAddress;
  readonly publicKey: Uint8Array;
}

export function targetOf(m: OwnedMailbox): MailboxTarget {
  return { address: m.address, publicKey: m.keys.publicKey };
}

export function describeMailbox(m: { address: MailboxAddress }): string {
  return formatAddress(m.address);
}
