/**
 * Codec table entries for the directory and contact messages (types 0x20-0x26), in the
 * shape of fixtures.ts's CODECS so the shared common checks and fuzz properties cover
 * them. Self-contained (no value imports from fixtures.ts, which imports this file).
 */
import fc from 'fast-check';
import {
  decodeContactAccept,
  decodeContactRequest,
  decodeDirectoryEntry,
  decodeDirectoryLookup,
  decodeDirectoryRecord,
  decodeDirectoryRegister,
  decodeVerifyStep,
  encodeContactAccept,
  encodeContactRequest,
  encodeDirectoryEntry,
  encodeDirectoryLookup,
  encodeDirectoryRecord,
  encodeDirectoryRegister,
  encodeVerifyStep,
  MessageType,
  type MailboxAddress,
} from '../src/index.js';
import { codec, type Codec } from './codec-fixture.js';

/** Deterministic bytes (a different filler from fixtures.ts is fine). */
export function seeded(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const bytesArb = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: n, maxLength: n });
export const nameArb: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9_]{3,32}$/);
const relayArb = fc.stringMatching(/^[a-z0-9](?:[a-z0-9.-]{0,12}[a-z0-9])?$/);
const addressArb: fc.Arbitrary<MailboxAddress> = fc
  .tuple(relayArb, bytesArb(16))
  .map(([relay, id]) => ({ relay, id }));
/** Any string, including lone surrogates: the encoder turns them into U+FFFD. */
const noteArb = fc.string({ maxLength: 40, unit: 'binary' });

export const SAMPLE_ADDRESS: MailboxAddress = Object.freeze({
  relay: 'relay1.example',
  id: seeded(16, 1),
});
export const SAMPLE_KEY = seeded(45, 2);

export const SAMPLE_ENTRY = Object.freeze({
  name: 'alice',
  identityKey: SAMPLE_KEY,
  intro: SAMPLE_ADDRESS,
  introKey: seeded(45, 3),
  timestampMs: 1_795_000_000_000,
});

export const DIRECTORY_CODECS: readonly Codec[] = [
  codec({
    name: 'DirectoryEntry',
    type: MessageType.DirectoryEntry,
    decode: decodeDirectoryEntry,
    encode: encodeDirectoryEntry,
    valid: fc
      .record({
        name: nameArb,
        identityKey: bytesArb(45),
        intro: addressArb,
        introKey: bytesArb(45),
        timestampMs: fc.maxSafeNat(),
      })
      .map((e) => {
        const n = e.name.length;
        const r = e.intro.relay.length;
        return {
          bytes: encodeDirectoryEntry(e),
          fields: [
            { offset: 4, width: 1 }, // name length
            { offset: 5 + n, width: 1 }, // identity key length
            { offset: 51 + n, width: 1 }, // relay length
            { offset: 68 + n + r, width: 1 }, // intro key length
            { offset: 114 + n + r, width: 4 }, // timestamp, high half
          ],
        };
      }),
    sample: encodeDirectoryEntry(SAMPLE_ENTRY),
  }),
  codec({
    name: 'DirectoryRegister',
    type: MessageType.DirectoryRegister,
    decode: decodeDirectoryRegister,
    encode: encodeDirectoryRegister,
    valid: fc
      .record({
        identityKey: bytesArb(45),
        postage: bytesArb(8),
        signedEntry: fc.uint8Array({ minLength: 1, maxLength: 200 }),
      })
      .map((m) => ({
        bytes: encodeDirectoryRegister(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 58, width: 2 },
        ],
      })),
    sample: encodeDirectoryRegister({
      identityKey: SAMPLE_KEY,
      postage: seeded(8, 4),
      signedEntry: seeded(250, 5),
    }),
  }),
  codec({
    name: 'DirectoryLookup',
    type: MessageType.DirectoryLookup,
    decode: decodeDirectoryLookup,
    encode: encodeDirectoryLookup,
    valid: nameArb.map((name) => ({
      bytes: encodeDirectoryLookup({ name }),
      fields: [{ offset: 4, width: 1 }],
    })),
    sample: encodeDirectoryLookup({ name: 'bob_the_2nd' }),
  }),
  codec({
    name: 'DirectoryRecord',
    type: MessageType.DirectoryRecord,
    decode: decodeDirectoryRecord,
    encode: encodeDirectoryRecord,
    valid: fc
      .record({
        identityKey: bytesArb(45),
        signedEntry: fc.uint8Array({ minLength: 1, maxLength: 200 }),
      })
      .map((m) => ({
        bytes: encodeDirectoryRecord(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 50, width: 2 },
        ],
      })),
    sample: encodeDirectoryRecord({ identityKey: SAMPLE_KEY, signedEntry: seeded(250, 6) }),
  }),
  codec({
    name: 'ContactRequest',
    type: MessageType.ContactRequest,
    decode: decodeContactRequest,
    encode: encodeContactRequest,
    valid: fc
      .record({ name: nameArb, mailbox: addressArb, mailboxKey: bytesArb(45), note: noteArb })
      .map((m) => {
        const n = m.name.length;
        const r = m.mailbox.relay.length;
        return {
          bytes: encodeContactRequest(m),
          fields: [
            { offset: 4, width: 1 },
            { offset: 5 + n, width: 1 },
            { offset: 22 + n + r, width: 1 },
            { offset: 68 + n + r, width: 2 },
          ],
        };
      }),
    sample: encodeContactRequest({
      name: 'alice',
      mailbox: SAMPLE_ADDRESS,
      mailboxKey: SAMPLE_KEY,
      note: 'hi, it’s alice from the meeting ✊',
    }),
  }),
  codec({
    name: 'ContactAccept',
    type: MessageType.ContactAccept,
    decode: decodeContactAccept,
    encode: encodeContactAccept,
    valid: fc.record({ name: nameArb, mailbox: addressArb, mailboxKey: bytesArb(45) }).map((m) => {
      const n = m.name.length;
      const r = m.mailbox.relay.length;
      return {
        bytes: encodeContactAccept(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 5 + n, width: 1 },
          { offset: 22 + n + r, width: 1 },
        ],
      };
    }),
    sample: encodeContactAccept({ name: 'bob', mailbox: SAMPLE_ADDRESS, mailboxKey: SAMPLE_KEY }),
  }),
  codec({
    name: 'VerifyStep',
    type: MessageType.VerifyStep,
    decode: decodeVerifyStep,
    encode: encodeVerifyStep,
    valid: fc
      .record({
        runId: bytesArb(16),
        step: fc.integer({ min: 1, max: 4 }),
        payload: fc.uint8Array({ minLength: 1, maxLength: 400 }),
      })
      .map((m) => ({
        bytes: encodeVerifyStep(m),
        fields: [
          { offset: 20, width: 1 },
          { offset: 21, width: 2 },
        ],
      })),
    sample: encodeVerifyStep({ runId: seeded(16, 7), step: 2, payload: seeded(352, 8) }),
  }),
];
