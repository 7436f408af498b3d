import * as assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  CIPHERTEXT_SIZES,
  ContentKind,
  MAX_PLAINTEXT,
  PLAINTEXT_BUCKETS,
  POSTAGE_SIZE,
  SEALED_OVERHEAD,
  decodeEnvelope,
  encodeEnvelope,
  encodeSealedInner,
  encodeSignedBody,
  generateKeyPair,
  initCrypto,
  innerSize,
  openMail,
  sealMail,
  secureMessageEncrypt,
  secureMessageSign,
  type DecodedEnvelope,
  type KeyPair,
  type MailboxAddress,
  type OpenOptions,
  type SealInput,
  type SignedBody,
} from '../src/index.js';
import { ADDRESS, OTHER_ADDRESS, containsRun, expectFail, expectOk, filled } from './fixtures.js';

const NOW = 1_795_000_000_000;
const HOUR_MS = 3_600_000;
const OPTS: OpenOptions = { nowMs: NOW, maxAgeMs: 7 * 24 * HOUR_MS, maxSkewMs: 5 * 60_000 };
/** Bytes a SignedBody adds around its content: header, address, timestamp, id, kind, length. */
const BODY_OVERHEAD = 4 + 1 + ADDRESS.relay.length + 16 + 8 + 16 + 1 + 4;
/**
 * Bytes a Themis signed container adds: a 12-byte header and a DER ECDSA P-256 signature of
 * at most 72 bytes (usually 70-72). The minimum is far below anything seen in practice.
 */
const SIGN_OVERHEAD_MAX = 84;
const SIGN_OVERHEAD_MIN = 72;
/** Envelope bytes before the ciphertext: header, relay, id, expiry, postage, key, length. */
const ENVELOPE_FIXED = 83 + ADDRESS.relay.length;

let mailbox: KeyPair;
let sender: KeyPair;
let otherMailbox: KeyPair;

function input(over: Partial<SealInput> = {}): SealInput {
  return {
    to: ADDRESS,
    mailboxKey: mailbox.publicKey,
    sender,
    kind: ContentKind.Text,
    content: new TextEncoder().encode('the meeting moved to thursday'),
    expiryHour: Math.floor(NOW / HOUR_MS) + 168,
    timestampMs: NOW,
    messageId: filled(16, 42),
    ...over,
  };
}

function seal(over: Partial<SealInput> = {}): DecodedEnvelope {
  const s = expectOk(sealMail(input(over)), 'seal');
  return expectOk(decodeEnvelope(s.bytes), 'decode');
}

/** Builds an envelope step by step, so each step can be done wrong on purpose. */
function handSeal(o: {
  body?: Partial<SignedBody>;
  signer?: KeyPair;
  innerSenderKey?: Uint8Array;
  mailboxKey?: Uint8Array;
  envelopeTo?: MailboxAddress;
  tamperInner?: (inner: Uint8Array) => Uint8Array;
}): DecodedEnvelope {
  const body = encodeSignedBody({
    to: ADDRESS,
    timestampMs: NOW,
    messageId: filled(16, 43),
    kind: ContentKind.Text,
    content: new TextEncoder().encode('hand made'),
    ...o.body,
  });
  const signed = expectOk(secureMessageSign((o.signer ?? sender).privateKey, body));
  const inner = encodeSealedInner({ senderKey: o.innerSenderKey ?? sender.publicKey, signed });
  assert.ok(inner);
  const eph = generateKeyPair();
  const plain = o.tamperInner ? o.tamperInner(inner) : inner;
  const ct = expectOk(
    secureMessageEncrypt(eph.privateKey, o.mailboxKey ?? mailbox.publicKey, plain),
  );
  const bytes = encodeEnvelope({
    to: o.envelopeTo ?? ADDRESS,
    expiryHour: 500_000,
    postage: new Uint8Array(POSTAGE_SIZE),
    ephemeralKey: eph.publicKey,
    ciphertext: ct,
  });
  return expectOk(decodeEnvelope(bytes));
}

describe('mail', () => {
  before(async () => {
    await initCrypto();
    mailbox = generateKeyPair();
    sender = generateKeyPair();
    otherMailbox = generateKeyPair();
  });

  test('mail - seal then open round trips sender key, recipient, time, id, kind and content', () => {
    const i = input({ kind: ContentKind.ContactRequest });
    const sealed = expectOk(sealMail(i));
    assert.equal(sealed.relayLength, ADDRESS.relay.length);
    const env = expectOk(decodeEnvelope(sealed.bytes));
    assert.deepEqual(env.id, sealed.id);
    assert.deepEqual(env.to, ADDRESS);
    assert.equal(env.expiryHour, i.expiryHour);
    assert.deepEqual(
      env.postage,
      new Uint8Array(POSTAGE_SIZE),
      'postage left for the sender to stamp',
    );
    const opened = expectOk(openMail(env, mailbox.privateKey, OPTS));
    assert.deepEqual(opened.senderKey, sender.publicKey);
    assert.deepEqual(opened.body, {
      to: ADDRESS,
      timestampMs: i.timestampMs,
      messageId: i.messageId,
      kind: ContentKind.ContactRequest,
      content: i.content,
    });
  });

  test('mail - empty content seals and opens', () => {
    const opened = expectOk(
      openMail(seal({ content: new Uint8Array(0) }), mailbox.privateKey, OPTS),
    );
    assert.equal(opened.body.content.length, 0);
  });

  test('mail - sealed sender: the envelope holds neither the sender key nor the content nor the message id', () => {
    const i = input();
    const bytes = expectOk(sealMail(i)).bytes;
    assert.ok(!containsRun(bytes, sender.publicKey), 'sender key visible');
    assert.ok(!containsRun(bytes, i.content), 'content visible');
    assert.ok(!containsRun(bytes, i.messageId), 'message id visible');
  });

  test('mail - each seal uses a fresh ephemeral key, so identical mail gives unrelated envelopes', () => {
    const a = seal();
    const b = seal();
    assert.notDeepEqual(a.ephemeralKey, b.ephemeralKey);
    assert.notDeepEqual(a.ephemeralKey, sender.publicKey);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.notDeepEqual(a.id, b.id);
  });

  test('mail - opening with another mailbox key gives ERR_CRYPTO_DECRYPT', () => {
    expectFail(openMail(seal(), otherMailbox.privateKey, OPTS), 'ERR_CRYPTO_DECRYPT');
  });

  test('mail - a tampered ciphertext gives ERR_CRYPTO_DECRYPT', () => {
    const env = seal();
    for (const at of [0, 20, 60, 500, env.ciphertext.length - 1]) {
      const ciphertext = env.ciphertext.slice();
      ciphertext[at] = (ciphertext[at] ?? 0) ^ 0x40;
      const tampered = expectOk(decodeEnvelope(encodeEnvelope({ ...env, ciphertext })));
      expectFail(openMail(tampered, mailbox.privateKey, OPTS), 'ERR_CRYPTO_DECRYPT', `byte ${at}`);
    }
  });

  test('mail - a swapped ephemeral key gives ERR_CRYPTO_DECRYPT', () => {
    const env = seal();
    const swapped = { ...env, ephemeralKey: generateKeyPair().publicKey };
    expectFail(openMail(swapped, mailbox.privateKey, OPTS), 'ERR_CRYPTO_DECRYPT');
  });

  test('mail - an ephemeral key that is not a key gives ERR_CRYPTO_KEY_INVALID', () => {
    const env = seal();
    expectFail(
      openMail({ ...env, ephemeralKey: filled(45, 9) }, mailbox.privateKey, OPTS),
      'ERR_CRYPTO_KEY_INVALID',
    );
  });

  test('mail - a body signed for another mailbox and forwarded here gives ERR_SEAL_WRONG_MAILBOX', () => {
    const env = handSeal({ body: { to: OTHER_ADDRESS } });
    expectFail(openMail(env, mailbox.privateKey, OPTS), 'ERR_SEAL_WRONG_MAILBOX');
    const otherRelay = handSeal({ body: { to: { relay: 'relay2.example', id: ADDRESS.id } } });
    expectFail(openMail(otherRelay, mailbox.privateKey, OPTS), 'ERR_SEAL_WRONG_MAILBOX');
  });

  test('mail - an envelope re-addressed by the operator gives ERR_SEAL_WRONG_MAILBOX', () => {
    const env = seal();
    const moved = expectOk(decodeEnvelope(encodeEnvelope({ ...env, to: OTHER_ADDRESS })));
    expectFail(openMail(moved, mailbox.privateKey, OPTS), 'ERR_SEAL_WRONG_MAILBOX');
  });

  test('mail - a timestamp older than maxAgeMs or further ahead than maxSkewMs gives ERR_SEAL_STALE', () => {
    const oldest = NOW - OPTS.maxAgeMs;
    const newest = NOW + OPTS.maxSkewMs;
    expectFail(
      openMail(seal({ timestampMs: oldest - 1 }), mailbox.privateKey, OPTS),
      'ERR_SEAL_STALE',
    );
    expectFail(openMail(seal({ timestampMs: 0 }), mailbox.privateKey, OPTS), 'ERR_SEAL_STALE');
    expectFail(
      openMail(seal({ timestampMs: newest + 1 }), mailbox.privateKey, OPTS),
      'ERR_SEAL_STALE',
    );
    expectOk(openMail(seal({ timestampMs: oldest }), mailbox.privateKey, OPTS), 'oldest accepted');
    expectOk(openMail(seal({ timestampMs: newest }), mailbox.privateKey, OPTS), 'newest accepted');
  });

  test('mail - an inner signed by a key other than the inner sender key gives ERR_CRYPTO_SIGNATURE', () => {
    const mallory = generateKeyPair();
    const env = handSeal({ signer: mallory, innerSenderKey: sender.publicKey });
    expectFail(openMail(env, mailbox.privateKey, OPTS), 'ERR_CRYPTO_SIGNATURE');
  });

  test('mail - an inner sender key that is not a key gives ERR_CRYPTO_KEY_INVALID', () => {
    const env = handSeal({ innerSenderKey: filled(45, 7) });
    expectFail(openMail(env, mailbox.privateKey, OPTS), 'ERR_CRYPTO_KEY_INVALID');
  });

  test('mail - an inner with non-zero padding gives ERR_WIRE_PADDING', () => {
    const env = handSeal({
      tamperInner: (inner) => {
        const out = inner.slice();
        out[out.length - 1] = 1;
        return out;
      },
    });
    expectFail(openMail(env, mailbox.privateKey, OPTS), 'ERR_WIRE_PADDING');
  });

  test('mail - checks run in order: decrypt, inner, signature, mailbox, time', () => {
    const mallory = generateKeyPair();
    const staleElsewhere = { to: OTHER_ADDRESS, timestampMs: 1 };
    expectFail(
      openMail(handSeal({ body: staleElsewhere, signer: mallory }), mailbox.privateKey, OPTS),
      'ERR_CRYPTO_SIGNATURE',
    );
    expectFail(
      openMail(handSeal({ body: staleElsewhere }), mailbox.privateKey, OPTS),
      'ERR_SEAL_WRONG_MAILBOX',
    );
    expectFail(
      openMail(handSeal({ body: staleElsewhere }), otherMailbox.privateKey, OPTS),
      'ERR_CRYPTO_DECRYPT',
    );
  });

  test('mail - content larger than the largest envelope gives ERR_SEAL_TOO_LARGE, never a throw', () => {
    for (const n of [
      MAX_PLAINTEXT - innerSize(0) - BODY_OVERHEAD - SIGN_OVERHEAD_MIN + 1,
      MAX_PLAINTEXT,
      MAX_PLAINTEXT + 1,
      1_000_000,
    ])
      expectFail(
        sealMail(input({ content: new Uint8Array(n) })),
        'ERR_SEAL_TOO_LARGE',
        `content ${n}`,
      );
  });

  test('mail - the largest content that always fits seals into the largest bucket', () => {
    const n = MAX_PLAINTEXT - innerSize(0) - BODY_OVERHEAD - SIGN_OVERHEAD_MAX;
    const env = seal({ content: filled(n, 1) });
    assert.equal(env.ciphertext.length, MAX_PLAINTEXT + SEALED_OVERHEAD);
    assert.equal(expectOk(openMail(env, mailbox.privateKey, OPTS)).body.content.length, n);
  });

  test('mail - every ciphertext is a bucket size, and lengths within a bucket cannot be told apart', () => {
    const lengths = new Map<number, Set<number>>();
    let smaller = 0;
    for (const bucket of PLAINTEXT_BUCKETS) {
      const room = bucket - innerSize(0) - BODY_OVERHEAD - SIGN_OVERHEAD_MAX;
      const fromLen =
        smaller === 0 ? 0 : smaller - innerSize(0) - BODY_OVERHEAD - SIGN_OVERHEAD_MIN + 1;
      for (const n of [fromLen, Math.floor((fromLen + room) / 2), room]) {
        const env = seal({ content: filled(n, n) });
        assert.ok(CIPHERTEXT_SIZES.has(env.ciphertext.length), `content ${n}`);
        const seen = lengths.get(bucket) ?? new Set<number>();
        seen.add(env.ciphertext.length).add(env.bytes.length);
        lengths.set(bucket, seen);
      }
      smaller = bucket;
    }
    for (const [bucket, seen] of lengths)
      assert.deepEqual(
        [...seen],
        [bucket + SEALED_OVERHEAD, ENVELOPE_FIXED + bucket + SEALED_OVERHEAD],
        `bucket ${bucket}`,
      );
  });

  test('mail - SEALED_OVERHEAD is exactly what Themis Secure Message adds to each bucket', () => {
    const eph = generateKeyPair();
    for (const bucket of PLAINTEXT_BUCKETS) {
      const ct = expectOk(
        secureMessageEncrypt(eph.privateKey, mailbox.publicKey, new Uint8Array(bucket)),
      );
      assert.equal(ct.length - bucket, SEALED_OVERHEAD, `bucket ${bucket}`);
    }
    assert.deepEqual(
      [...CIPHERTEXT_SIZES],
      PLAINTEXT_BUCKETS.map((b) => b + SEALED_OVERHEAD),
    );
  });

  test('mail - sealing to a mailbox key that is not a key gives ERR_CRYPTO_KEY_INVALID', () => {
    expectFail(sealMail(input({ mailboxKey: filled(45, 1) })), 'ERR_CRYPTO_KEY_INVALID');
    expectFail(
      sealMail(input({ sender: { ...sender, privateKey: filled(45, 2) } })),
      'ERR_CRYPTO_KEY_INVALID',
    );
  });
});
