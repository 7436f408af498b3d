/**
 * Checks every decoder shares: header checked first (magic, version, type), truncation at
 * any offset, trailing bytes, and non-byte input. Codec-specific tables live in the
 * per-message test files.
 */
import * as assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  FEATURES,
  HEADER_SIZE,
  MAGIC,
  MessageType,
  PROTOCOL_VERSION,
  WireError,
} from '../src/index.js';
import { CODECS, concat, expectFail, expectOk } from './fixtures.js';

const ALL_TYPES: readonly number[] = Object.values(MessageType);

test('version - protocol version 1, magic "KM", every feature introduced in version 1', () => {
  assert.equal(PROTOCOL_VERSION, 1);
  assert.equal(MAGIC, 0x4b4d);
  assert.equal(String.fromCharCode(MAGIC >> 8, MAGIC & 0xff), 'KM');
  assert.equal(HEADER_SIZE, 4);
  assert.deepEqual(
    { ...FEATURES },
    { sealedEnvelope: 1, mailboxSessions: 1, postage: 1, collectives: 1, worldPosts: 1 },
  );
  assert.ok(Object.isFrozen(FEATURES));
});

test('header - message type values are pinned, unique and never reused', () => {
  assert.deepEqual(
    { ...MessageType },
    {
      Envelope: 0x01,
      EnvelopeBatch: 0x02,
      SealedInner: 0x03,
      SignedBody: 0x04,
      MailboxCreate: 0x10,
      SessionOpen: 0x11,
      SessionProof: 0x12,
      SessionGrant: 0x13,
      FetchRequest: 0x14,
      FetchResponse: 0x15,
      AckRequest: 0x16,
      AckResponse: 0x17,
      Accepted: 0x18,
      DirectoryEntry: 0x20,
      DirectoryRegister: 0x21,
      DirectoryLookup: 0x22,
      DirectoryRecord: 0x23,
      ContactRequest: 0x24,
      ContactAccept: 0x25,
      VerifyStep: 0x26,
      CollectiveRequest: 0x30,
      CollectiveCreate: 0x31,
      CollectiveJoin: 0x32,
      CollectiveVouch: 0x33,
      CollectiveLeave: 0x34,
      CollectivePolicyVote: 0x35,
      CollectiveShow: 0x36,
      CollectiveView: 0x37,
      CollectiveResult: 0x38,
      VouchCountQuery: 0x39,
      VouchCount: 0x3a,
      FanoutQuery: 0x3b,
      FanoutMembers: 0x3c,
      CollectiveRecord: 0x3d,
      CollectiveKeyGrant: 0x3e,
      Post: 0x40,
      WorldPost: 0x41,
      WorldPostBody: 0x42,
      WorldPublish: 0x43,
      WorldListRequest: 0x44,
      WorldListResponse: 0x45,
      RelayDescriptor: 0x50,
      RelayDescriptorRecord: 0x51,
      RelayStatement: 0x52,
      RelayMessage: 0x53,
      RelayMailReceipt: 0x54,
      RemoteLookup: 0x55,
      RemoteCollective: 0x56,
      RelayFanout: 0x57,
      ErrorReply: 0x7f,
    },
  );
  assert.equal(new Set(ALL_TYPES).size, ALL_TYPES.length);
  assert.ok(Object.isFrozen(MessageType));
});

test('header - every message type is in the SPEC.md message type table', () => {
  const spec = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8').split('\n');
  for (const [name, value] of Object.entries(MessageType)) {
    const tag = `0x${value.toString(16).padStart(2, '0').toUpperCase()}`;
    const row = spec.find((l) => l.startsWith(`| \`${tag}\``));
    assert.ok(row, `${name}: no row for ${tag}`);
    assert.equal(row.split('|')[2]?.trim(), name);
  }
});

test('header - every message type has exactly one codec under test', () => {
  assert.deepEqual(
    CODECS.map((c) => c.type).sort((a, b) => a - b),
    [...ALL_TYPES].sort((a, b) => a - b),
  );
});

test('wire error - carries a registered code and is an Error', () => {
  const e = new WireError('ERR_WIRE_LENGTH', 'x');
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'ERR_WIRE_LENGTH');
  assert.equal(e.name, 'WireError');
});

for (const c of CODECS) {
  describe(`${c.name} common checks`, () => {
    test(`${c.name} - the sample decodes and starts with its header`, () => {
      expectOk(c.decode(c.sample));
      assert.deepEqual([...c.sample.subarray(0, 4)], [0x4b, 0x4d, 1, c.type]);
    });

    test(`${c.name} - decode accepts a Node Buffer and copies out of it`, () => {
      const buf = Buffer.from(c.sample);
      expectOk(c.decode(buf));
      assert.deepEqual(c.reencode(buf), c.sample);
    });

    test(`${c.name} - decode rejects input that is not a Uint8Array with ERR_WIRE_FIELD`, () => {
      expectFail(c.decode([...c.sample] as unknown as Uint8Array), 'ERR_WIRE_FIELD');
      expectFail(c.decode('KM' as unknown as Uint8Array), 'ERR_WIRE_FIELD');
    });

    const first = c.sizeCheckedFirst ? 'ERR_WIRE_PADDING' : undefined;

    test(`${c.name} - decode rejects a wrong magic with ERR_WIRE_MAGIC`, () => {
      for (const [i, v] of [
        [0, 0x00],
        [0, 0x4c],
        [1, 0x4c],
        [1, 0xff],
      ] as const) {
        const b = c.sample.slice();
        b[i] = v;
        expectFail(c.decode(b), 'ERR_WIRE_MAGIC', `byte ${i} = ${v}`);
      }
    });

    test(`${c.name} - decode rejects any other version with ERR_WIRE_VERSION`, () => {
      for (const v of [0, 2, 3, 0x7f, 0xff]) {
        const b = c.sample.slice();
        b[2] = v;
        expectFail(c.decode(b), 'ERR_WIRE_VERSION', `version ${v}`);
      }
    });

    test(`${c.name} - decode rejects every other message type with ERR_WIRE_TYPE`, () => {
      for (const t of [0x00, 0xff, ...ALL_TYPES.filter((t) => t !== c.type)]) {
        const b = c.sample.slice();
        b[3] = t;
        expectFail(c.decode(b), 'ERR_WIRE_TYPE', `type ${t}`);
      }
    });

    test(`${c.name} - magic is checked before version, and version before type`, () => {
      const b = c.sample.slice();
      b[0] = 0;
      b[2] = 9;
      b[3] = 0;
      expectFail(c.decode(b), 'ERR_WIRE_MAGIC');
      b[0] = 0x4b;
      expectFail(c.decode(b), 'ERR_WIRE_VERSION');
      b[2] = 1;
      expectFail(c.decode(b), 'ERR_WIRE_TYPE');
    });

    test(`${c.name} - decode rejects the message truncated at every offset`, () => {
      for (let n = 0; n < c.sample.length; n++)
        expectFail(c.decode(c.sample.subarray(0, n)), first ?? 'ERR_WIRE_TRUNCATED', `length ${n}`);
    });

    test(`${c.name} - decode rejects trailing bytes`, () => {
      for (const extra of [[0], [1], [0, 0, 0], [0x4b, 0x4d, 1, c.type]])
        expectFail(
          c.decode(concat(c.sample, extra)),
          first ?? 'ERR_WIRE_TRAILING',
          `+${extra.length}`,
        );
    });

    test(`${c.name} - decoded fields do not alias the input`, () => {
      assert.deepEqual(c.decodeWipeEncode(c.sample.slice()), c.sample);
    });
  });
}
