/**
 * The collective, fan-out and world post routes with in-memory parts: framing checks,
 * postage with its surcharges (and the 402 that names the bits), forwarding to the right
 * subject, and the fan-out going to its own JetStream subject.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  collectiveRequestIdOf,
  ContentKind,
  decodeAccepted,
  encodeAccepted,
  encodeCollectiveRequest,
  encodeCollectiveShow,
  encodeErrorReply,
  encodeWorldPost,
  encodeWorldPublish,
  generateKeyPair,
  initCrypto,
  MessageType,
  mintPostage,
  postageBits,
  sealMail,
  SUBJECTS,
  withPostage,
  worldPostIdOf,
  type DecodedEnvelope,
} from '@komrade/protocol';
import { createLogger } from '@komrade/service-runtime';
import { buildApp } from '../src/app.js';
import { operatorConfig } from '../src/config.js';
import type { OperatorDeps } from '../src/operator-deps.js';
import { PostageGovernor } from '../src/postage-governor.js';

const octet = { 'content-type': 'application/octet-stream' };
const BASE_BITS = 3;

function deps() {
  const forwarded: { subject: string; body: Uint8Array }[] = [];
  const fanout: DecodedEnvelope[] = [];
  const d: OperatorDeps = {
    config: operatorConfig({ KOMRADE_RELAY_NAME: 'unit' }),
    log: createLogger('operator', 'silent'),
    mail: {
      publish: async () => undefined,
      publishFanout: async (e) => void fanout.push(e),
    },
    forward: async (subject, body) => {
      forwarded.push({ subject, body });
      return subject === SUBJECTS.collectiveShow
        ? encodeErrorReply('ERR_COLLECTIVE_NOT_FOUND')
        : encodeAccepted([]);
    },
    postage: new PostageGovernor({ baseBits: BASE_BITS, auto: false, targetRps: 1000 }),
    now: Date.now,
    ready: () => true,
  };
  return { d, forwarded, fanout };
}

/** A nonce that gives exactly below `bits` leading zero bits (a stamp that must fail). */
function weakNonce(id: Uint8Array, bits: number): Uint8Array {
  for (let n = 0; ; n++) {
    const nonce = new Uint8Array(8);
    new DataView(nonce.buffer).setUint32(4, n);
    if (postageBits(id, nonce) < bits) return nonce;
  }
}

describe('operator: collective, fan-out and world routes (in-memory parts)', () => {
  before(async () => {
    await initCrypto();
  });

  test('collectives - a request is forwarded to vouch when its stamp meets the difficulty (creating: plus 4 bits)', async () => {
    const { d, forwarded } = deps();
    const app = buildApp(d);
    const base = {
      identityKey: generateKeyPair().publicKey,
      signed: new Uint8Array(200).fill(9),
    };
    const id = collectiveRequestIdOf(base);
    const post = (action: number, postage: Uint8Array) =>
      app.inject({
        method: 'POST',
        url: '/v1/collectives',
        headers: octet,
        payload: Buffer.from(
          encodeCollectiveRequest({ ...base, action: action as never, postage }),
        ),
      });
    const join = await post(MessageType.CollectiveJoin, mintPostage(id, BASE_BITS));
    assert.equal(join.statusCode, 200);
    assert.equal(forwarded[0]?.subject, SUBJECTS.collectiveRequest);
    // a stamp good for a join is too weak to found a collective
    const weak = await post(MessageType.CollectiveCreate, weakNonce(id, BASE_BITS + 4));
    assert.equal(weak.statusCode, 402);
    assert.equal(weak.headers['komrade-postage-bits'], String(BASE_BITS + 4));
    const create = await post(MessageType.CollectiveCreate, mintPostage(id, BASE_BITS + 4));
    assert.equal(create.statusCode, 200);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/collectives',
      headers: octet,
      payload: Buffer.from('nope'),
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(forwarded.length, 2);
  });

  test('collectives - show is forwarded without postage and vouch error codes come back with their status', async () => {
    const { d, forwarded } = deps();
    const res = await buildApp(d).inject({
      method: 'POST',
      url: '/v1/collectives/show',
      headers: octet,
      payload: Buffer.from(encodeCollectiveShow({ name: 'portland' })),
    });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_COLLECTIVE_NOT_FOUND');
    assert.equal(forwarded[0]?.subject, SUBJECTS.collectiveShow);
  });

  test('fanout - one envelope goes to the fan-out subject with the post surcharge; 202 lists its id', async () => {
    const { d, fanout } = deps();
    const app = buildApp(d);
    const s = sealMail({
      to: { relay: 'unit', id: new Uint8Array(16).fill(1) },
      mailboxKey: generateKeyPair().publicKey,
      sender: generateKeyPair(),
      kind: ContentKind.Post,
      content: new TextEncoder().encode('hello, collective'),
      expiryHour: Math.floor(Date.now() / 3_600_000) + 2,
      timestampMs: Date.now(),
      messageId: new Uint8Array(16).fill(2),
    });
    assert.ok(s.ok);
    const stamped = (nonce: Uint8Array) => withPostage(s.value.bytes, s.value.relayLength, nonce);
    const weak = await app.inject({
      method: 'POST',
      url: '/v1/fanout',
      headers: octet,
      payload: Buffer.from(stamped(weakNonce(s.value.id, BASE_BITS + 4))),
    });
    assert.equal(weak.statusCode, 402);
    assert.equal(weak.headers['komrade-postage-bits'], String(BASE_BITS + 4));
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/fanout',
      headers: octet,
      payload: Buffer.from(stamped(mintPostage(s.value.id, BASE_BITS + 4))),
    });
    assert.equal(ok.statusCode, 202);
    const ids = decodeAccepted(new Uint8Array(ok.rawPayload));
    assert.ok(ids.ok);
    assert.deepEqual(ids.value, [s.value.id]);
    assert.equal(fanout.length, 1);
  });

  test('world - a publish is stamped over the post id and forwarded as the bare WorldPost', async () => {
    const { d, forwarded } = deps();
    const app = buildApp(d);
    const post = { authorKey: generateKeyPair().publicKey, signed: new Uint8Array(90).fill(3) };
    const id = worldPostIdOf(post);
    const weak = await app.inject({
      method: 'POST',
      url: '/v1/world/publish',
      headers: octet,
      payload: Buffer.from(encodeWorldPublish({ postage: weakNonce(id, BASE_BITS + 4), post })),
    });
    assert.equal(weak.statusCode, 402);
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/world/publish',
      headers: octet,
      payload: Buffer.from(encodeWorldPublish({ postage: mintPostage(id, BASE_BITS + 4), post })),
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(forwarded[0]?.subject, SUBJECTS.worldPublish);
    assert.deepEqual(forwarded[0]?.body, encodeWorldPost(post));
    const info = await app.inject({ method: 'GET', url: '/v1/info' });
    assert.equal(info.json<{ worldMaxTtlSec: number }>().worldMaxTtlSec, 30 * 86400);
  });
});
