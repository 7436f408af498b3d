/**
 * Shared test fixtures: result assertions, byte helpers, and one table of every wire codec
 * (valid-encoding generators with the offsets of their numeric fields) used by the
 * invalid-input tables and by the fuzz properties.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CIPHERTEXT_SIZES,
  ContentKind,
  ERROR_CODES,
  MAGIC,
  MessageType,
  PROTOCOL_VERSION,
  decodeAccepted,
  decodeAckRequest,
  decodeAckResponse,
  decodeEnvelope,
  decodeEnvelopeBatch,
  decodeRelayFanout,
  decodeRemoteCollective,
  encodeCollectiveShow,
  encodeRelayFanout,
  encodeRemoteCollective,
  encodeVouchCountQuery,
  FanoutItemKind,
  decodeErrorReply,
  decodeFetchRequest,
  decodeFetchResponse,
  decodeMailboxCreate,
  decodeSealedInner,
  decodeSessionGrant,
  decodeSessionOpen,
  decodeSessionProof,
  decodeSignedBody,
  encodeAccepted,
  encodeAckRequest,
  encodeAckResponse,
  encodeEnvelope,
  encodeEnvelopeBatch,
  encodeErrorReply,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeMailboxCreate,
  encodeSealedInner,
  encodeSessionGrant,
  encodeSessionOpen,
  encodeSessionProof,
  encodeSignedBody,
  isErrorCode,
  type ErrorCode,
  type MailboxAddress,
  type Result,
} from '../src/index.js';
import { COLLECTIVE_CODECS } from './fixtures-collective.js';
import { DIRECTORY_CODECS } from './fixtures-directory.js';
import { RELAY_CODECS } from './fixtures-relay.js';

// ---------------------------------------------------------------------------------------
// Results

/** Asserts a successful result and returns its value. */
export function expectOk<T>(res: Result<T>, what = 'result'): T {
  if (!res.ok) assert.fail(`${what}: expected ok, got ${res.code} (${res.detail ?? ''})`);
  return res.value;
}

/** Asserts a failed result with exactly this registered code. */
export function expectFail(res: Result<unknown>, code: ErrorCode, what = 'result'): void {
  if (res.ok) assert.fail(`${what}: expected ${code}, got ok`);
  assert.equal(res.code, code, what);
}

/** True when a decoder's answer has the only two allowed shapes. */
export function isWellFormedResult(res: unknown): boolean {
  if (typeof res !== 'object' || res === null) return false;
  const r = res as { ok?: unknown; code?: unknown; value?: unknown };
  if (r.ok === true) return 'value' in r;
  return r.ok === false && isErrorCode(r.code);
}

// ---------------------------------------------------------------------------------------
// Bytes

export function concat(...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Deterministic filler bytes (xorshift), so large fields cost one integer of entropy. */
export function filled(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `n` copies of one byte. */
export function repeat(n: number, byte: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

export function header(type: number, version = PROTOCOL_VERSION, magic = MAGIC): Uint8Array {
  return Uint8Array.of(magic >>> 8, magic & 0xff, version, type);
}

export function u16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

export function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** Overwrites `bytes[offset..offset+width)` with `value` big-endian, on a copy. */
export function patch(bytes: Uint8Array, offset: number, width: number, value: number): Uint8Array {
  const out = bytes.slice();
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[offset + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

export function readUint(bytes: Uint8Array, offset: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

/** True when `needle` occurs in `hay` as a contiguous run. */
export function containsRun(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Fixed values

export const ADDRESS: MailboxAddress = Object.freeze({
  relay: 'relay1.example',
  id: filled(16, 1),
});
export const OTHER_ADDRESS: MailboxAddress = Object.freeze({
  relay: 'relay1.example',
  id: filled(16, 2),
});
export const KEY45 = filled(45, 3);
export const SMALLEST_CIPHERTEXT = Math.min(...CIPHERTEXT_SIZES);

export function sampleEnvelope(relay = ADDRESS.relay, ciphertextSize = SMALLEST_CIPHERTEXT) {
  return {
    to: { relay, id: ADDRESS.id },
    expiryHour: 493_000,
    postage: filled(8, 4),
    ephemeralKey: KEY45,
    ciphertext: filled(ciphertextSize, 5),
  };
}

// ---------------------------------------------------------------------------------------
// Arbitraries

const RELAY_MAX = 'a'.repeat(61) + '.z';
export const relayArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9](?:[a-z0-9.-]{0,12}[a-z0-9])?$/) },
  { weight: 1, arbitrary: fc.constant(RELAY_MAX) },
);
export const bytesArb = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: n, maxLength: n });
export const addressArb: fc.Arbitrary<MailboxAddress> = fc
  .tuple(relayArb, bytesArb(16))
  .map(([relay, id]) => ({ relay, id }));
const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
const ciphertextArb = fc.integer().map((seed) => filled(SMALLEST_CIPHERTEXT, seed));
const kindArb = fc.constantFrom(...Object.values(ContentKind));

export const envelopeArb = fc.record({
  to: addressArb,
  expiryHour: u32Arb,
  postage: bytesArb(8),
  ephemeralKey: bytesArb(45),
  ciphertext: ciphertextArb,
});

/** Offsets of the numeric fields of an encoded Envelope whose relay name has `r` bytes. */
function envelopeFields(r: number, base = 0): Field[] {
  return [
    { offset: base + 4, width: 1 }, // relay length
    { offset: base + 5 + r + 16, width: 4 }, // expiry hour
    { offset: base + 33 + r, width: 1 }, // ephemeral key length
    { offset: base + 79 + r, width: 4 }, // ciphertext length
  ];
}

// ---------------------------------------------------------------------------------------
// The codec table

export type { Codec, Field, ValidSample } from './codec-fixture.js';
import { codec, type Codec, type Field, type ValidSample } from './codec-fixture.js';

const sampleEnvelopeBytes = encodeEnvelope(sampleEnvelope());

export const CODECS: readonly Codec[] = [
  codec({
    name: 'Envelope',
    type: MessageType.Envelope,
    decode: decodeEnvelope,
    encode: encodeEnvelope,
    valid: envelopeArb.map((e) => ({
      bytes: encodeEnvelope(e),
      fields: envelopeFields(e.to.relay.length),
    })),
    sample: sampleEnvelopeBytes,
  }),
  codec({
    name: 'EnvelopeBatch',
    type: MessageType.EnvelopeBatch,
    decode: decodeEnvelopeBatch,
    encode: (v) => encodeEnvelopeBatch(v.map((e) => e.bytes)),
    valid: fc.array(envelopeArb, { minLength: 1, maxLength: 2 }).map((es) => {
      const first = es[0];
      return {
        bytes: encodeEnvelopeBatch(es.map(encodeEnvelope)),
        fields: [
          { offset: 4, width: 2 },
          { offset: 6, width: 4 },
          ...(first ? envelopeFields(first.to.relay.length, 10) : []),
        ],
      };
    }),
    sample: encodeEnvelopeBatch([sampleEnvelopeBytes, sampleEnvelopeBytes]),
  }),
  codec({
    name: 'SealedInner',
    type: MessageType.SealedInner,
    decode: decodeSealedInner,
    encode: encodeSealedInner,
    valid: fc
      .record({ senderKey: bytesArb(45), signed: fc.uint8Array({ minLength: 1, maxLength: 64 }) })
      .map((m) => ({
        bytes: encodeSealedInner(m) ?? assert.fail('fits'),
        fields: [
          { offset: 4, width: 1 },
          { offset: 50, width: 4 },
        ],
      })),
    sample: encodeSealedInner({ senderKey: KEY45, signed: filled(100, 6) }) ?? new Uint8Array(),
    sizeCheckedFirst: true,
  }),
  codec({
    name: 'SignedBody',
    type: MessageType.SignedBody,
    decode: decodeSignedBody,
    encode: encodeSignedBody,
    valid: fc
      .record({
        to: addressArb,
        timestampMs: fc.maxSafeNat(),
        messageId: bytesArb(16),
        kind: kindArb,
        content: fc.uint8Array({ maxLength: 48 }),
      })
      .map((b) => {
        const r = b.to.relay.length;
        return {
          bytes: encodeSignedBody(b),
          fields: [
            { offset: 4, width: 1 },
            { offset: 21 + r, width: 4 }, // timestamp, high half
            { offset: 45 + r, width: 1 }, // kind
            { offset: 46 + r, width: 4 }, // content length
          ],
        };
      }),
    sample: encodeSignedBody({
      to: ADDRESS,
      timestampMs: 1_795_000_000_000,
      messageId: filled(16, 7),
      kind: ContentKind.Text,
      content: new TextEncoder().encode('hello, komrade'),
    }),
  }),
  codec({
    name: 'MailboxCreate',
    type: MessageType.MailboxCreate,
    decode: decodeMailboxCreate,
    encode: encodeMailboxCreate,
    valid: fc
      .record({ id: bytesArb(16), publicKey: bytesArb(45) })
      .map((m) => ({ bytes: encodeMailboxCreate(m), fields: [{ offset: 20, width: 1 }] })),
    sample: encodeMailboxCreate({ id: ADDRESS.id, publicKey: KEY45 }),
  }),
  codec({
    name: 'SessionProof',
    type: MessageType.SessionProof,
    decode: decodeSessionProof,
    encode: encodeSessionProof,
    valid: fc
      .record({ mailbox: addressArb, timestampMs: fc.maxSafeNat(), nonce: bytesArb(16) })
      .map((p) => ({
        bytes: encodeSessionProof(p),
        fields: [
          { offset: 4, width: 1 },
          { offset: 21 + p.mailbox.relay.length, width: 4 },
        ],
      })),
    sample: encodeSessionProof({
      mailbox: ADDRESS,
      timestampMs: 1_795_000_000_000,
      nonce: filled(16, 8),
    }),
  }),
  codec({
    name: 'SessionOpen',
    type: MessageType.SessionOpen,
    decode: decodeSessionOpen,
    encode: encodeSessionOpen,
    valid: fc
      .record({ id: bytesArb(16), signedProof: fc.uint8Array({ minLength: 1, maxLength: 160 }) })
      .map((m) => ({ bytes: encodeSessionOpen(m), fields: [{ offset: 20, width: 2 }] })),
    sample: encodeSessionOpen({ id: ADDRESS.id, signedProof: filled(140, 9) }),
  }),
  codec({
    name: 'SessionGrant',
    type: MessageType.SessionGrant,
    decode: decodeSessionGrant,
    encode: encodeSessionGrant,
    valid: fc
      .record({ token: bytesArb(32), ttlSec: u32Arb })
      .map((g) => ({ bytes: encodeSessionGrant(g), fields: [{ offset: 36, width: 4 }] })),
    sample: encodeSessionGrant({ token: filled(32, 10), ttlSec: 600 }),
  }),
  codec({
    name: 'FetchRequest',
    type: MessageType.FetchRequest,
    decode: decodeFetchRequest,
    encode: encodeFetchRequest,
    valid: fc
      .record({ id: bytesArb(16), token: bytesArb(32), max: fc.integer({ min: 1, max: 1000 }) })
      .map((f) => ({ bytes: encodeFetchRequest(f), fields: [{ offset: 52, width: 2 }] })),
    sample: encodeFetchRequest({ id: ADDRESS.id, token: filled(32, 10), max: 100 }),
  }),
  codec({
    name: 'FetchResponse',
    type: MessageType.FetchResponse,
    decode: decodeFetchResponse,
    encode: (v) =>
      encodeFetchResponse({ remaining: v.remaining, envelopes: v.envelopes.map((e) => e.bytes) }),
    valid: fc
      .record({ remaining: u32Arb, envelopes: fc.array(envelopeArb, { maxLength: 2 }) })
      .map((f) => {
        const first = f.envelopes[0];
        return {
          bytes: encodeFetchResponse({
            remaining: f.remaining,
            envelopes: f.envelopes.map(encodeEnvelope),
          }),
          fields: [
            { offset: 4, width: 4 },
            { offset: 8, width: 2 },
            ...(first
              ? [{ offset: 10, width: 4 }, ...envelopeFields(first.to.relay.length, 14)]
              : []),
          ],
        };
      }),
    sample: encodeFetchResponse({ remaining: 3, envelopes: [sampleEnvelopeBytes] }),
  }),
  codec({
    name: 'AckRequest',
    type: MessageType.AckRequest,
    decode: decodeAckRequest,
    encode: encodeAckRequest,
    valid: fc
      .record({
        id: bytesArb(16),
        token: bytesArb(32),
        ids: fc.array(bytesArb(16), { minLength: 1, maxLength: 4 }),
      })
      .map((a) => ({ bytes: encodeAckRequest(a), fields: [{ offset: 52, width: 2 }] })),
    sample: encodeAckRequest({
      id: ADDRESS.id,
      token: filled(32, 10),
      ids: [filled(16, 11), filled(16, 12)],
    }),
  }),
  codec({
    name: 'AckResponse',
    type: MessageType.AckResponse,
    decode: decodeAckResponse,
    encode: encodeAckResponse,
    valid: fc
      .integer({ min: 0, max: 0xffff })
      .map((n) => ({ bytes: encodeAckResponse(n), fields: [{ offset: 4, width: 2 }] })),
    sample: encodeAckResponse(2),
  }),
  codec({
    name: 'Accepted',
    type: MessageType.Accepted,
    decode: decodeAccepted,
    encode: encodeAccepted,
    valid: fc
      .array(bytesArb(16), { maxLength: 4 })
      .map((ids) => ({ bytes: encodeAccepted(ids), fields: [{ offset: 4, width: 2 }] })),
    sample: encodeAccepted([filled(16, 11), filled(16, 12)]),
  }),
  codec({
    name: 'ErrorReply',
    type: MessageType.ErrorReply,
    decode: decodeErrorReply,
    encode: encodeErrorReply,
    valid: fc
      .constantFrom(...ERROR_CODES)
      .map((c) => ({ bytes: encodeErrorReply(c), fields: [{ offset: 4, width: 1 }] })),
    sample: encodeErrorReply('ERR_MAILBOX_AUTH'),
  }),
  // directory and contact messages (0x20-0x26)
  ...DIRECTORY_CODECS,
  // federation messages (0x50-0x55)
  ...RELAY_CODECS,
  // collectives across relays (0x56, 0x57)
  codec({
    name: 'RemoteCollective',
    type: MessageType.RemoteCollective,
    decode: decodeRemoteCollective,
    encode: encodeRemoteCollective,
    valid: fc
      .record({
        relay: relayArb,
        body: fc.oneof(
          fc.constantFrom('portland', 'socialists').map((name) => encodeCollectiveShow({ name })),
          bytesArb(45).map((identityKey) => encodeVouchCountQuery({ identityKey })),
        ),
      })
      .map((m) => ({
        bytes: encodeRemoteCollective(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 5 + m.relay.length, width: 2 },
        ],
      })),
    sample: encodeRemoteCollective({
      relay: 'relay2.example',
      body: encodeCollectiveShow({ name: 'portland' }),
    }),
  }),
  codec({
    name: 'RelayFanout',
    type: MessageType.RelayFanout,
    decode: decodeRelayFanout,
    encode: encodeRelayFanout,
    valid: fc
      .record({
        env: envelopeArb,
        targets: fc.array(fc.record({ mailboxId: bytesArb(16), mailboxKey: bytesArb(45) }), {
          maxLength: 3,
        }),
      })
      .map(({ env, targets }) => {
        const bytes = encodeEnvelope(env);
        const envelope = { ...expectOk(decodeEnvelope(bytes)) };
        const kind = targets.length === 0 ? FanoutItemKind.Post : FanoutItemKind.Delivery;
        const at = 11 + bytes.length;
        return {
          bytes: encodeRelayFanout([{ kind, envelope, targets }]),
          fields: [
            { offset: 4, width: 2 },
            { offset: 6, width: 1 },
            { offset: 7, width: 4 },
            ...envelopeFields(env.to.relay.length, 11),
            { offset: at, width: 2 },
            ...(targets.length > 0 ? [{ offset: at + 18, width: 1 }] : []),
          ],
        };
      }),
    sample: encodeRelayFanout([
      {
        kind: FanoutItemKind.Delivery,
        envelope: expectOk(decodeEnvelope(sampleEnvelopeBytes)),
        targets: [{ mailboxId: filled(16, 6), mailboxKey: KEY45 }],
      },
      {
        kind: FanoutItemKind.Post,
        envelope: expectOk(decodeEnvelope(sampleEnvelopeBytes)),
        targets: [],
      },
    ]),
  }),
  // collectives, vouching and posts (0x30-0x3e, 0x40-0x45)
  ...COLLECTIVE_CODECS,
];

// ---------------------------------------------------------------------------------------
// Mutations of valid encodings

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly data: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'field'; readonly which: number; readonly delta: number }
  | { readonly kind: 'fieldSet'; readonly which: number; readonly value: number };

const HEADER_FIELDS: readonly Field[] = [
  { offset: 0, width: 2 },
  { offset: 2, width: 1 },
  { offset: 3, width: 1 },
];

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    data: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('field' as const),
    which: fc.nat(),
    delta: fc.integer({ min: -4, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('fieldSet' as const),
    which: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff),
      fc.nat(),
    ),
  }),
);

/** Applies one mutation; positions wrap around the input so every draw lands somewhere. */
export function mutate(sample: ValidSample, bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  switch (m.kind) {
    case 'flip': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      const at = m.at % n;
      out[at] = (out[at] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[m.at % n] = m.byte;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, m.at % (n + 1));
    case 'insert': {
      const at = m.at % (n + 1);
      return concat(bytes.subarray(0, at), m.data, bytes.subarray(at));
    }
    case 'delete': {
      if (n === 0) return bytes;
      const at = m.at % n;
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.count));
    }
    case 'field':
    case 'fieldSet': {
      const fields = [...HEADER_FIELDS, ...sample.fields];
      const f = fields[m.which % fields.length];
      if (f === undefined || f.offset + f.width > n) return bytes;
      const max = 2 ** (8 * f.width);
      const old = readUint(bytes, f.offset, f.width);
      const value = m.kind === 'field' ? old + m.delta : m.value;
      return patch(bytes, f.offset, f.width, ((value % max) + max) % max);
    }
  }
}

/** A valid encoding with one to three mutations applied. */
export function mutatedArb(c: Codec): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(c.valid, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
    .map(([sample, ms]) => ms.reduce((b, m) => mutate(sample, b, m), sample.bytes));
}

/** Random bytes that start with a correct header for `type`, to get past the first checks. */
export function headedRandomArb(type: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength: 96 }).map((tail) => concat(header(type), tail));
}
