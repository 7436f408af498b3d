/**
 * Codec table entries for the collective, vouching and post messages (types 0x30-0x3e and
 * 0x40-0x45), in the shape of fixtures.ts's CODECS so the shared common checks and the
 * fuzz properties (10,000 random and 10,000 mutated inputs per decoder) cover them.
 * Self-contained (no value imports from fixtures.ts, which imports this file).
 */
import fc from 'fast-check';
import {
  CollectiveOutcome,
  decodeCollectiveCreate,
  decodeCollectiveJoin,
  decodeCollectiveKeyGrant,
  decodeCollectiveLeave,
  decodeCollectivePolicyVote,
  decodeCollectiveRecord,
  decodeCollectiveRequest,
  decodeCollectiveResult,
  decodeCollectiveShow,
  decodeCollectiveView,
  decodeCollectiveVouch,
  decodeFanoutMembers,
  decodeFanoutQuery,
  decodePost,
  decodeVouchCount,
  decodeVouchCountQuery,
  decodeWorldListRequest,
  decodeWorldListResponse,
  decodeWorldPost,
  decodeWorldPostBody,
  decodeWorldPublish,
  encodeCollectiveCreate,
  encodeCollectiveJoin,
  encodeCollectiveKeyGrant,
  encodeCollectiveLeave,
  encodeCollectivePolicyVote,
  encodeCollectiveRecord,
  encodeCollectiveRequest,
  encodeCollectiveResult,
  encodeCollectiveShow,
  encodeCollectiveView,
  encodeCollectiveVouch,
  encodeFanoutMembers,
  encodeFanoutQuery,
  encodePost,
  encodeVouchCount,
  encodeVouchCountQuery,
  encodeWorldListRequest,
  encodeWorldListResponse,
  encodeWorldPost,
  encodeWorldPostBody,
  encodeWorldPublish,
  ImageType,
  MessageType,
  type CollectiveActionBase,
  type CollectiveResult,
  type Post,
  type QuorumPolicy,
} from '../src/index.js';
import { codec, type Codec, type Field } from './codec-fixture.js';
import { nameArb, seeded } from './fixtures-directory.js';

const bytesArb = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: n, maxLength: n });
const keyArb = bytesArb(45);
const relayArb = fc.stringMatching(/^[a-z0-9](?:[a-z0-9.-]{0,12}[a-z0-9])?$/);
const u16Arb = fc.integer({ min: 0, max: 0xffff });
const u32Arb = fc.integer({ min: 0, max: 0xffffffff });

export const policyArb: fc.Arbitrary<QuorumPolicy> = fc.oneof(
  fc.integer({ min: 1, max: 0xffff }).map((count) => ({ kind: 'fixed' as const, count })),
  fc
    .tuple(
      fc.integer({ min: 1, max: 0xffff }),
      fc.integer({ min: 1, max: 0xffff }),
      fc.integer({ min: 1, max: 0xffff }),
    )
    .map(([a, b, min]) => ({
      kind: 'fraction' as const,
      num: Math.min(a, b),
      den: Math.max(a, b),
      min,
    })),
  fc
    .tuple(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 9 })), {
        minLength: 1,
        maxLength: 3,
      }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 5 }),
    )
    .map(([rows, div, add]) => {
      let upTo = 0;
      const steps = rows.map(([d, quorum]) => ({ upTo: (upTo += d), quorum }));
      return { kind: 'steps' as const, steps, div, add: div === 0 ? 0 : add };
    }),
);

/** Encoded size of a policy. */
export function policySize(p: QuorumPolicy): number {
  switch (p.kind) {
    case 'fixed':
      return 3;
    case 'fraction':
      return 7;
    case 'steps':
      return 2 + 6 * p.steps.length + 4;
  }
}

/** Numeric fields of a policy encoded at `at`. */
function policyFields(p: QuorumPolicy, at: number): Field[] {
  const f: Field[] = [{ offset: at, width: 1 }];
  if (p.kind === 'fixed') f.push({ offset: at + 1, width: 2 });
  else if (p.kind === 'fraction')
    f.push(
      { offset: at + 1, width: 2 },
      { offset: at + 3, width: 2 },
      { offset: at + 5, width: 2 },
    );
  else {
    f.push(
      { offset: at + 1, width: 1 },
      { offset: at + 2, width: 4 },
      { offset: at + 6, width: 2 },
    );
    const tail = at + 2 + 6 * p.steps.length;
    f.push({ offset: tail, width: 2 }, { offset: tail + 2, width: 2 });
  }
  return f;
}

const baseArb: fc.Arbitrary<CollectiveActionBase> = fc.record({
  relay: relayArb,
  collective: nameArb,
  timestampMs: fc.maxSafeNat(),
  nonce: bytesArb(16),
});

/** Offsets of the common prefix's numeric fields, and where the action's own fields start. */
function baseFields(b: CollectiveActionBase): { fields: Field[]; end: number } {
  const r = b.relay.length;
  const n = b.collective.length;
  return {
    fields: [
      { offset: 4, width: 1 },
      { offset: 5 + r, width: 1 },
      { offset: 6 + r + n, width: 4 },
    ],
    end: 30 + r + n,
  };
}

export const SAMPLE_BASE: CollectiveActionBase = Object.freeze({
  relay: 'relay1.example',
  collective: 'portland',
  timestampMs: 1_795_000_000_000,
  nonce: seeded(16, 21),
});
const SAMPLE_POLICY: QuorumPolicy = {
  kind: 'steps',
  steps: [{ upTo: 10, quorum: 1 }],
  div: 10,
  add: 1,
};
const K1 = seeded(45, 22);
const K2 = seeded(45, 23);
const ID1 = seeded(16, 24);

const entryArb = fc.record({ identityKey: keyArb, epoch: u32Arb, vouches: u16Arb });
const recordEntryArb = fc.record({
  identityKey: keyArb,
  mailboxRelay: fc.constant('beta'),
  mailboxId: bytesArb(16),
  mailboxKey: keyArb,
  epoch: u32Arb,
  vouches: u16Arb,
});
const proposalArb = fc.record({ policy: policyArb, votes: u16Arb });

export const postArb: fc.Arbitrary<Post> = fc
  .record({
    author: fc.option(nameArb, { nil: undefined }),
    text: fc.string({ maxLength: 24, unit: 'binary' }),
    image: fc.option(
      fc.tuple(
        fc.constantFrom<ImageType>(ImageType.Png, ImageType.Jpeg, ImageType.Gif, ImageType.Webp),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
      ),
      { nil: undefined },
    ),
  })
  .map(({ author, text, image }) => ({
    author,
    text,
    imageType: image?.[0] ?? ImageType.None,
    image: image?.[1] ?? new Uint8Array(),
  }));

function postFields(p: Post, at: number): Field[] {
  const a = p.author?.length ?? 0;
  const t = new TextEncoder().encode(p.text).length;
  return [
    { offset: at + 4, width: 1 },
    { offset: at + 5 + a, width: 2 },
    { offset: at + 7 + a + t, width: 1 },
    { offset: at + 8 + a + t, width: 4 },
  ];
}

export const SAMPLE_POST: Post = Object.freeze({
  author: 'alice',
  text: 'Solidarity forever ✊ — meeting at the hall, 7pm.',
  imageType: ImageType.Png,
  image: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3),
});

const worldPostArb = fc.record({
  authorKey: keyArb,
  signed: fc.uint8Array({ minLength: 1, maxLength: 64 }),
});
const SAMPLE_WORLD_POST = { authorKey: K1, signed: seeded(120, 25) };

export const COLLECTIVE_CODECS: readonly Codec[] = [
  codec({
    name: 'CollectiveRequest',
    type: MessageType.CollectiveRequest,
    decode: decodeCollectiveRequest,
    encode: encodeCollectiveRequest,
    valid: fc
      .record({
        action: fc.constantFrom(
          MessageType.CollectiveCreate,
          MessageType.CollectiveJoin,
          MessageType.CollectiveVouch,
          MessageType.CollectiveLeave,
          MessageType.CollectivePolicyVote,
        ),
        identityKey: keyArb,
        postage: bytesArb(8),
        signed: fc.uint8Array({ minLength: 1, maxLength: 200 }),
      })
      .map((m) => ({
        bytes: encodeCollectiveRequest(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 5, width: 1 },
          { offset: 59, width: 2 },
        ],
      })),
    sample: encodeCollectiveRequest({
      action: MessageType.CollectiveVouch,
      identityKey: K1,
      postage: seeded(8, 26),
      signed: seeded(230, 27),
    }),
  }),
  codec({
    name: 'CollectiveCreate',
    type: MessageType.CollectiveCreate,
    decode: decodeCollectiveCreate,
    encode: encodeCollectiveCreate,
    valid: fc
      .record({
        base: baseArb,
        groupKey: keyArb,
        mailboxId: bytesArb(16),
        mailboxKey: keyArb,
        policy: policyArb,
      })
      .map(({ base, ...m }) => {
        const { fields, end } = baseFields(base);
        return {
          bytes: encodeCollectiveCreate({ ...base, ...m }),
          fields: [
            ...fields,
            { offset: end, width: 1 },
            { offset: end + 62, width: 1 },
            ...policyFields(m.policy, end + 108),
          ],
        };
      }),
    sample: encodeCollectiveCreate({
      ...SAMPLE_BASE,
      groupKey: K1,
      mailboxId: ID1,
      mailboxKey: K2,
      policy: SAMPLE_POLICY,
    }),
  }),
  codec({
    name: 'CollectiveJoin',
    type: MessageType.CollectiveJoin,
    decode: decodeCollectiveJoin,
    encode: encodeCollectiveJoin,
    valid: fc
      .record({
        base: baseArb,
        mailboxRelay: relayArb,
        mailboxId: bytesArb(16),
        mailboxKey: keyArb,
      })
      .map(({ base, ...m }) => {
        const { fields, end } = baseFields(base);
        return {
          bytes: encodeCollectiveJoin({ ...base, ...m }),
          fields: [
            ...fields,
            { offset: end, width: 1 },
            { offset: end + 17 + m.mailboxRelay.length, width: 1 },
          ],
        };
      }),
    sample: encodeCollectiveJoin({
      ...SAMPLE_BASE,
      mailboxRelay: 'relay2.example',
      mailboxId: ID1,
      mailboxKey: K2,
    }),
  }),
  codec({
    name: 'CollectiveVouch',
    type: MessageType.CollectiveVouch,
    decode: decodeCollectiveVouch,
    encode: encodeCollectiveVouch,
    valid: fc
      .record({ base: baseArb, memberEpoch: u32Arb, candidateKey: keyArb, candidacyEpoch: u32Arb })
      .map(({ base, ...m }) => {
        const { fields, end } = baseFields(base);
        return {
          bytes: encodeCollectiveVouch({ ...base, ...m }),
          fields: [
            ...fields,
            { offset: end, width: 4 },
            { offset: end + 4, width: 1 },
            { offset: end + 50, width: 4 },
          ],
        };
      }),
    sample: encodeCollectiveVouch({
      ...SAMPLE_BASE,
      memberEpoch: 1,
      candidateKey: K2,
      candidacyEpoch: 7,
    }),
  }),
  codec({
    name: 'CollectiveLeave',
    type: MessageType.CollectiveLeave,
    decode: decodeCollectiveLeave,
    encode: encodeCollectiveLeave,
    valid: fc.record({ base: baseArb, epoch: u32Arb }).map(({ base, epoch }) => {
      const { fields, end } = baseFields(base);
      return {
        bytes: encodeCollectiveLeave({ ...base, epoch }),
        fields: [...fields, { offset: end, width: 4 }],
      };
    }),
    sample: encodeCollectiveLeave({ ...SAMPLE_BASE, epoch: 3 }),
  }),
  codec({
    name: 'CollectivePolicyVote',
    type: MessageType.CollectivePolicyVote,
    decode: decodeCollectivePolicyVote,
    encode: encodeCollectivePolicyVote,
    valid: fc
      .record({ base: baseArb, memberEpoch: u32Arb, policyEpoch: u32Arb, policy: policyArb })
      .map(({ base, ...m }) => {
        const { fields, end } = baseFields(base);
        return {
          bytes: encodeCollectivePolicyVote({ ...base, ...m }),
          fields: [
            ...fields,
            { offset: end, width: 4 },
            { offset: end + 4, width: 4 },
            ...policyFields(m.policy, end + 8),
          ],
        };
      }),
    sample: encodeCollectivePolicyVote({
      ...SAMPLE_BASE,
      memberEpoch: 1,
      policyEpoch: 1,
      policy: { kind: 'fraction', num: 1, den: 2, min: 2 },
    }),
  }),
  codec({
    name: 'CollectiveShow',
    type: MessageType.CollectiveShow,
    decode: decodeCollectiveShow,
    encode: encodeCollectiveShow,
    valid: nameArb.map((name) => ({
      bytes: encodeCollectiveShow({ name }),
      fields: [{ offset: 4, width: 1 }],
    })),
    sample: encodeCollectiveShow({ name: 'portland' }),
  }),
  codec({
    name: 'CollectiveView',
    type: MessageType.CollectiveView,
    decode: decodeCollectiveView,
    encode: encodeCollectiveView,
    valid: fc
      .record({
        name: nameArb,
        founderKey: keyArb,
        groupKey: keyArb,
        policy: policyArb,
        policyEpoch: u32Arb,
        quorum: u16Arb,
        createdMs: fc.maxSafeNat(),
        members: fc.array(entryArb, { maxLength: 2 }),
        candidates: fc.array(entryArb, { maxLength: 2 }),
        proposals: fc.array(proposalArb, { maxLength: 1 }),
      })
      .map((v) => {
        const at = 97 + v.name.length;
        const p = at + policySize(v.policy);
        const c = p + 14 + 2 + 52 * v.members.length;
        return {
          bytes: encodeCollectiveView(v),
          fields: [
            { offset: 4, width: 1 },
            { offset: 5 + v.name.length, width: 1 },
            { offset: 51 + v.name.length, width: 1 },
            ...policyFields(v.policy, at),
            { offset: p, width: 4 },
            { offset: p + 4, width: 2 },
            { offset: p + 14, width: 2 },
            ...(v.members.length > 0 ? [{ offset: p + 16, width: 1 }] : []),
            { offset: c, width: 2 },
            { offset: c + 2 + 52 * v.candidates.length, width: 1 },
          ],
        };
      }),
    sample: encodeCollectiveView({
      name: 'portland',
      founderKey: K1,
      groupKey: K2,
      policy: SAMPLE_POLICY,
      policyEpoch: 1,
      quorum: 1,
      createdMs: 1_795_000_000_000,
      members: [
        { identityKey: K1, epoch: 1, vouches: 0 },
        { identityKey: K2, epoch: 3, vouches: 1 },
      ],
      candidates: [{ identityKey: seeded(45, 28), epoch: 4, vouches: 0 }],
      proposals: [{ policy: { kind: 'fixed', count: 2 }, votes: 1 }],
    }),
  }),
  codec({
    name: 'CollectiveResult',
    type: MessageType.CollectiveResult,
    decode: decodeCollectiveResult,
    encode: encodeCollectiveResult,
    valid: fc
      .record({
        outcome: fc.constantFrom(...Object.values(CollectiveOutcome)),
        epoch: u32Arb,
        vouches: u16Arb,
        quorum: u16Arb,
        members: u16Arb,
        id: bytesArb(16),
        key: keyArb,
      })
      .map(({ id, key, ...m }) => {
        const r: CollectiveResult = {
          ...m,
          ...(m.outcome === CollectiveOutcome.Created ? { fanoutId: id } : {}),
          ...(m.outcome === CollectiveOutcome.Admitted
            ? { admitted: { mailboxRelay: 'beta', mailboxId: id, mailboxKey: key } }
            : {}),
        };
        return {
          bytes: encodeCollectiveResult(r),
          fields: [
            { offset: 4, width: 1 },
            { offset: 5, width: 4 },
            { offset: 9, width: 2 },
            { offset: 11, width: 2 },
            { offset: 13, width: 2 },
            ...(m.outcome === CollectiveOutcome.Admitted
              ? [
                  { offset: 15, width: 1 },
                  { offset: 36, width: 1 },
                ]
              : []),
          ],
        };
      }),
    sample: encodeCollectiveResult({
      outcome: CollectiveOutcome.Admitted,
      epoch: 4,
      vouches: 2,
      quorum: 2,
      members: 5,
      admitted: { mailboxRelay: 'relay2.example', mailboxId: ID1, mailboxKey: K2 },
    }),
  }),
  codec({
    name: 'VouchCountQuery',
    type: MessageType.VouchCountQuery,
    decode: decodeVouchCountQuery,
    encode: encodeVouchCountQuery,
    valid: keyArb.map((identityKey) => ({
      bytes: encodeVouchCountQuery({ identityKey }),
      fields: [{ offset: 4, width: 1 }],
    })),
    sample: encodeVouchCountQuery({ identityKey: K1 }),
  }),
  codec({
    name: 'VouchCount',
    type: MessageType.VouchCount,
    decode: decodeVouchCount,
    encode: encodeVouchCount,
    valid: u32Arb.map((n) => ({ bytes: encodeVouchCount(n), fields: [{ offset: 4, width: 4 }] })),
    sample: encodeVouchCount(12),
  }),
  codec({
    name: 'FanoutQuery',
    type: MessageType.FanoutQuery,
    decode: decodeFanoutQuery,
    encode: encodeFanoutQuery,
    valid: bytesArb(16).map((id) => ({ bytes: encodeFanoutQuery(id), fields: [] })),
    sample: encodeFanoutQuery(ID1),
  }),
  codec({
    name: 'FanoutMembers',
    type: MessageType.FanoutMembers,
    decode: decodeFanoutMembers,
    encode: encodeFanoutMembers,
    valid: fc
      .array(
        fc.record({
          mailboxRelay: fc.constant('beta'),
          mailboxId: bytesArb(16),
          mailboxKey: keyArb,
        }),
        { maxLength: 3 },
      )
      .map((ts) => ({
        bytes: encodeFanoutMembers(ts),
        fields: [
          { offset: 4, width: 2 },
          ...(ts.length > 0
            ? [
                { offset: 6, width: 1 },
                { offset: 27, width: 1 },
              ]
            : []),
        ],
      })),
    sample: encodeFanoutMembers([
      { mailboxRelay: 'relay1.example', mailboxId: ID1, mailboxKey: K1 },
      { mailboxRelay: 'relay2.example', mailboxId: seeded(16, 29), mailboxKey: K2 },
    ]),
  }),
  codec({
    name: 'CollectiveRecord',
    type: MessageType.CollectiveRecord,
    decode: decodeCollectiveRecord,
    encode: encodeCollectiveRecord,
    valid: fc
      .record({
        name: nameArb,
        founderKey: keyArb,
        groupKey: keyArb,
        fanoutId: bytesArb(16),
        policy: policyArb,
        policyEpoch: u32Arb,
        nextEpoch: u32Arb,
        createdMs: fc.maxSafeNat(),
        members: fc.array(recordEntryArb, { maxLength: 2 }),
        candidates: fc.array(recordEntryArb, { maxLength: 2 }),
        proposals: fc.array(proposalArb, { maxLength: 1 }),
      })
      .map((v) => {
        const at = 113 + v.name.length;
        const p = at + policySize(v.policy);
        const c = p + 18 + 2 + 119 * v.members.length;
        return {
          bytes: encodeCollectiveRecord(v),
          fields: [
            { offset: 4, width: 1 },
            { offset: 5 + v.name.length, width: 1 },
            { offset: 51 + v.name.length, width: 1 },
            ...policyFields(v.policy, at),
            { offset: p, width: 4 },
            { offset: p + 4, width: 4 },
            { offset: p + 16, width: 2 },
            ...(v.members.length > 0
              ? [
                  { offset: p + 18, width: 1 },
                  { offset: p + 64, width: 1 },
                  { offset: p + 85, width: 1 },
                ]
              : []),
            { offset: c, width: 2 },
            { offset: c + 2 + 119 * v.candidates.length, width: 1 },
          ],
        };
      }),
    sample: encodeCollectiveRecord({
      name: 'portland',
      founderKey: K1,
      groupKey: K2,
      fanoutId: seeded(16, 31),
      policy: SAMPLE_POLICY,
      policyEpoch: 1,
      nextEpoch: 5,
      createdMs: 1_795_000_000_000,
      members: [
        {
          identityKey: K1,
          mailboxRelay: 'relay1.example',
          mailboxId: ID1,
          mailboxKey: K2,
          epoch: 1,
          vouches: 0,
        },
      ],
      candidates: [
        {
          identityKey: seeded(45, 32),
          mailboxRelay: 'relay2.example',
          mailboxId: seeded(16, 33),
          mailboxKey: K1,
          epoch: 4,
          vouches: 0,
        },
      ],
      proposals: [],
    }),
  }),
  codec({
    name: 'CollectiveKeyGrant',
    type: MessageType.CollectiveKeyGrant,
    decode: decodeCollectiveKeyGrant,
    encode: encodeCollectiveKeyGrant,
    valid: fc
      .record({
        collective: nameArb,
        groupPublicKey: keyArb,
        groupPrivateKey: keyArb,
        fanout: fc.record({ relay: relayArb, id: bytesArb(16) }),
      })
      .map((m) => {
        const n = m.collective.length;
        return {
          bytes: encodeCollectiveKeyGrant(m),
          fields: [
            { offset: 4, width: 1 },
            { offset: 5 + n, width: 1 },
            { offset: 51 + n, width: 1 },
            { offset: 97 + n, width: 1 },
          ],
        };
      }),
    sample: encodeCollectiveKeyGrant({
      collective: 'portland',
      groupPublicKey: K1,
      groupPrivateKey: K2,
      fanout: { relay: 'relay1.example', id: ID1 },
    }),
  }),
  codec({
    name: 'Post',
    type: MessageType.Post,
    decode: decodePost,
    encode: encodePost,
    valid: postArb.map((p) => ({ bytes: encodePost(p), fields: postFields(p, 0) })),
    sample: encodePost(SAMPLE_POST),
  }),
  codec({
    name: 'WorldPost',
    type: MessageType.WorldPost,
    decode: decodeWorldPost,
    encode: encodeWorldPost,
    valid: worldPostArb.map((m) => ({
      bytes: encodeWorldPost(m),
      fields: [
        { offset: 4, width: 1 },
        { offset: 50, width: 4 },
      ],
    })),
    sample: encodeWorldPost(SAMPLE_WORLD_POST),
  }),
  codec({
    name: 'WorldPostBody',
    type: MessageType.WorldPostBody,
    decode: decodeWorldPostBody,
    encode: encodeWorldPostBody,
    valid: fc
      .record({
        relay: relayArb,
        timestampMs: fc.maxSafeNat(),
        nonce: bytesArb(16),
        ttlSec: fc.integer({ min: 1, max: 0xffffffff }),
        post: postArb,
      })
      .map((m) => {
        const r = m.relay.length;
        return {
          bytes: encodeWorldPostBody(m),
          fields: [
            { offset: 4, width: 1 },
            { offset: 5 + r, width: 4 },
            { offset: 29 + r, width: 4 },
            { offset: 33 + r, width: 4 },
            ...postFields(m.post, 37 + r),
          ],
        };
      }),
    sample: encodeWorldPostBody({
      relay: 'relay1.example',
      timestampMs: 1_795_000_000_000,
      nonce: seeded(16, 34),
      ttlSec: 3 * 86_400,
      post: SAMPLE_POST,
    }),
  }),
  codec({
    name: 'WorldPublish',
    type: MessageType.WorldPublish,
    decode: decodeWorldPublish,
    encode: encodeWorldPublish,
    valid: fc.record({ postage: bytesArb(8), post: worldPostArb }).map((m) => ({
      bytes: encodeWorldPublish(m),
      fields: [
        { offset: 12, width: 4 },
        { offset: 20, width: 1 },
        { offset: 66, width: 4 },
      ],
    })),
    sample: encodeWorldPublish({ postage: seeded(8, 35), post: SAMPLE_WORLD_POST }),
  }),
  codec({
    name: 'WorldListRequest',
    type: MessageType.WorldListRequest,
    decode: decodeWorldListRequest,
    encode: encodeWorldListRequest,
    valid: fc
      .record({
        beforeMs: fc.maxSafeNat(),
        beforeId: bytesArb(16),
        max: fc.integer({ min: 1, max: 100 }),
      })
      .map((m) => ({
        bytes: encodeWorldListRequest(m),
        fields: [
          { offset: 4, width: 4 },
          { offset: 28, width: 2 },
        ],
      })),
    sample: encodeWorldListRequest({ beforeMs: 1_795_000_000_000, beforeId: ID1, max: 50 }),
  }),
  codec({
    name: 'WorldListResponse',
    type: MessageType.WorldListResponse,
    decode: decodeWorldListResponse,
    encode: encodeWorldListResponse,
    valid: fc
      .record({ more: fc.boolean(), posts: fc.array(worldPostArb, { maxLength: 2 }) })
      .map((m) => ({
        bytes: encodeWorldListResponse(m),
        fields: [
          { offset: 4, width: 1 },
          { offset: 5, width: 2 },
          ...(m.posts.length > 0
            ? [
                { offset: 7, width: 4 },
                { offset: 15, width: 1 },
                { offset: 61, width: 4 },
              ]
            : []),
        ],
      })),
    sample: encodeWorldListResponse({ more: true, posts: [SAMPLE_WORLD_POST, SAMPLE_WORLD_POST] }),
  }),
];
