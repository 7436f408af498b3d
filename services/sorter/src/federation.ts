import type { Meter } from '@opentelemetry/api';
import { initCrypto, relayKeyPairMatches } from '@komrade/protocol';
import {
  ensureOutboundConsumer,
  ensureOutboundStream,
  PeerClient,
  type FederationConfig,
  type Logger,
  type NatsConnection,
} from '@komrade/service-runtime';
import { OutboundQueue } from './forward-queue.js';
import { ForwardMetrics, startForwarders } from './forwarder.js';

/** A peer behind Tor answers in seconds; one attempt never waits longer than this. */
const PEER_TIMEOUT_MS = 30_000;

export interface SorterFederation {
  readonly outbound: OutboundQueue;
  stop(): Promise<void>;
}

/**
 * Federation in the sorter (SPEC.md section 19.4): the outbound stream and one durable
 * consumer per peer, the queue the sort loop publishes peer mail to, and the forwarders.
 * Undefined when no peer is configured.
 */
export async function startFederation(o: {
  readonly config: FederationConfig;
  readonly relayName: string;
  readonly nc: NatsConnection;
  readonly log: Logger;
  readonly meter: Meter | undefined;
  readonly maxAgeSec: number;
  readonly replicas: number;
  readonly maxBytes: number;
  readonly batchBytes: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}): Promise<SorterFederation | undefined> {
  const keys = o.config.relayKey;
  if (keys === undefined || o.config.peers.length === 0) return undefined;
  await initCrypto();
  if (!relayKeyPairMatches(keys))
    throw new Error('KOMRADE_RELAY_KEY: the public key does not belong to the private key');
  await ensureOutboundStream(o.nc, {
    maxAgeSec: o.maxAgeSec,
    replicas: o.replicas,
    maxBytes: o.maxBytes,
    duplicateWindowSec: 120,
  });
  const names = o.config.peers.map((p) => p.name);
  // unacked mail of a dead forwarder is redelivered after this long (> one attempt)
  for (const peer of names) await ensureOutboundConsumer(o.nc, peer, (PEER_TIMEOUT_MS * 3) / 1000);
  const forwarders = startForwarders({
    nc: o.nc,
    client: new PeerClient({
      relayName: o.relayName,
      keys,
      socksUrl: o.config.socksUrl,
      timeoutMs: PEER_TIMEOUT_MS,
    }),
    peers: o.config.peers,
    log: o.log,
    metrics: o.meter ? new ForwardMetrics(o.meter, o.nc, names) : undefined,
    batchBytes: o.batchBytes,
    retryMinMs: o.retryMinMs,
    retryMaxMs: o.retryMaxMs,
  });
  return {
    outbound: new OutboundQueue(o.nc, names, 5000),
    stop: () => forwarders.stop(),
  };
}
