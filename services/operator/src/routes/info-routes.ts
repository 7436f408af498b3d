import {
  CIPHERTEXT_SIZES,
  MAX_BATCH,
  PLAINTEXT_BUCKETS,
  PROTOCOL_VERSION,
} from '@komrade/protocol';
import type { FastifyInstance } from 'fastify';
import type { OperatorDeps } from '../operator-deps.js';

/** Public relay facts clients need before sending, plus liveness and readiness. */
export function infoRoutes(app: FastifyInstance, deps: OperatorDeps): void {
  app.get('/v1/info', async () => ({
    relay: deps.config.relayName,
    protocol: PROTOCOL_VERSION,
    postageBits: deps.postage.currentBits,
    maxTtlSec: deps.config.mailMaxTtlSec,
    worldMaxTtlSec: deps.config.worldMaxTtlSec,
    maxBatch: MAX_BATCH,
    plaintextBuckets: PLAINTEXT_BUCKETS,
    ciphertextSizes: [...CIPHERTEXT_SIZES],
    // federation: the postage floor for mail to peer relays, which relays are peers, and
    // the fingerprint peers configure for this relay (SPEC.md section 19)
    peerPostageBits: deps.federation?.config.peerPostageBits,
    peers: deps.federation?.config.peers.map((p) => p.name) ?? [],
    relayFingerprint: deps.federation?.fingerprint,
  }));
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const ready = deps.ready();
    return reply.code(ready ? 200 : 503).send({ ok: ready });
  });
}
