/**
 * Codec table entries for the federation messages (types 0x50-0x55), in the shape of
 * fixtures.ts's CODECS so the shared common checks and fuzz properties cover them.
 * Self-contained (no value imports from fixtures.ts, which imports this file).
 */
import fc from 'fast-check';
import {
  decodeRelayDescriptor,
  decodeRelayDescriptorRecord,
  decodeRelayMailReceipt,
  decodeRelayMessage,
  decodeRelayStatement,
  decodeRemoteLookup,
  encodeRelayDescriptor,
  encodeRelayDescriptorRecord,
  encodeRelayMailReceipt,
  encodeRelayMessage,
  encodeRelayStatement,
  encodeRemoteLookup,
  MessageType,
  ReceiptOutcome,
  RelayKind,
  type ReceiptEntry,
} from '../src/index.js';
import { nameArb, seeded } from './fixtures-directory.js';
import { codec, type Codec } from './codec-fixture.js';

const bytesArb = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: n, maxLength: n });
const relayArb = fc.stringMatching(/^[a-z0-9](?:[a-z0-9.-]{0,12}[a-z0-9])?$/);
const urlArb = fc.stringMatching(/^[\x21-\x7e]{0,40}$/);
const kindArb = fc.constantFrom(...Object.values(RelayKind));
const outcomeArb = fc.constantFrom(...Object.values(ReceiptOutcome));

export const SAMPLE_RELAY_KEY = seeded(45, 11);

export const RELAY_CODECS: readonly Codec[] = [
  codec({
    name: 'RelayDescriptor',
    type: MessageType.RelayDescriptor,
    decode: decodeRelayDescriptor,
    encode: encodeRelayDescriptor,
    valid: fc
      .record({
        relay: relayArb,
        relayKey: bytesArb(45),
        url: urlArb,
        timestampMs: fc.maxSafeNat(),
      })
      .map((d) => {
        const r = d.relay.length;
        return {
          bytes: encodeRelayDescriptor(d),
          fields: [
            { offset: 4, width: 1 }, // relay length
            { offset: 5 + r, width: 1 }, // key length
            { offset: 51 + r, width: 2 }, // url length
            { offset: 53 + r + d.url.length, width: 4 }, // timestamp, high half
          ],
        };
      }),
    sample: encodeRelayDescriptor({
      relay: 'relay-b.example',
      relayKey: SAMPLE_RELAY_KEY,
      url: 'http://abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab.onion',
      timestampMs: 1_795_000_000_000,
    }),
  }),
  codec({
    name: 'RelayDescriptorRecord',
    type: MessageType.RelayDescriptorRecord,
    decode: decodeRelayDescriptorRecord,
    encode: encodeRelayDescriptorRecord,
    valid: fc
      .record({ relayKey: bytesArb(45), signed: fc.uint8Array({ minLength: 1, maxLength: 200 }) })
      .map((m) => ({
        bytes: encodeRelayDescriptorRecord(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 50, width: 2 },
        ],
      })),
    sample: encodeRelayDescriptorRecord({ relayKey: SAMPLE_RELAY_KEY, signed: seeded(180, 12) }),
  }),
  codec({
    name: 'RelayStatement',
    type: MessageType.RelayStatement,
    decode: decodeRelayStatement,
    encode: encodeRelayStatement,
    valid: fc
      .record({
        kind: kindArb,
        from: relayArb,
        to: relayArb,
        timestampMs: fc.maxSafeNat(),
        nonce: bytesArb(16),
        digest: bytesArb(32),
      })
      .map((s) => {
        const f = s.from.length;
        const t = s.to.length;
        return {
          bytes: encodeRelayStatement(s),
          fields: [
            { offset: 4, width: 1 }, // kind
            { offset: 5, width: 1 }, // from length
            { offset: 6 + f, width: 1 }, // to length
            { offset: 7 + f + t, width: 4 }, // timestamp, high half
          ],
        };
      }),
    sample: encodeRelayStatement({
      kind: RelayKind.MailRequest,
      from: 'relay-a',
      to: 'relay-b',
      timestampMs: 1_795_000_000_000,
      nonce: seeded(16, 13),
      digest: seeded(32, 14),
    }),
  }),
  codec({
    name: 'RelayMessage',
    type: MessageType.RelayMessage,
    decode: decodeRelayMessage,
    encode: encodeRelayMessage,
    valid: fc
      .record({
        relayKey: bytesArb(45),
        signed: fc.uint8Array({ minLength: 1, maxLength: 200 }),
        body: fc.uint8Array({ maxLength: 300 }),
      })
      .map((m) => ({
        bytes: encodeRelayMessage(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 50, width: 2 },
          { offset: 52 + m.signed.length, width: 4 },
        ],
      })),
    sample: encodeRelayMessage({
      relayKey: SAMPLE_RELAY_KEY,
      signed: seeded(190, 15),
      body: seeded(400, 16),
    }),
  }),
  codec({
    name: 'RelayMailReceipt',
    type: MessageType.RelayMailReceipt,
    decode: decodeRelayMailReceipt,
    encode: encodeRelayMailReceipt,
    valid: fc
      .array(fc.record({ id: bytesArb(16), outcome: outcomeArb }), { maxLength: 20 })
      .map((entries: ReceiptEntry[]) => ({
        bytes: encodeRelayMailReceipt(entries),
        fields: [
          { offset: 4, width: 2 },
          ...entries.map((_, i) => ({ offset: 6 + i * 17 + 16, width: 1 })),
        ],
      })),
    sample: encodeRelayMailReceipt([
      { id: seeded(16, 17), outcome: ReceiptOutcome.Stored },
      { id: seeded(16, 18), outcome: ReceiptOutcome.Refused },
    ]),
  }),
  codec({
    name: 'RemoteLookup',
    type: MessageType.RemoteLookup,
    decode: decodeRemoteLookup,
    encode: encodeRemoteLookup,
    valid: fc.record({ relay: relayArb, name: nameArb }).map((m) => ({
      bytes: encodeRemoteLookup(m),
      fields: [
        { offset: 4, width: 1 },
        { offset: 5 + m.relay.length, width: 1 },
      ],
    })),
    sample: encodeRemoteLookup({ relay: 'relay-b.example', name: 'bob' }),
  }),
];
