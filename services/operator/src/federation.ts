import { jetstream, jetstreamManager, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { nanos } from '@nats-io/nats-core';
import type { Counter, Meter } from '@opentelemetry/api';
import {
  initCrypto,
  openRelayMessage,
  RELAY_CLOCK_WINDOW_MS,
  RELAY_NONCE_STREAM,
  relayFingerprint,
  relayKeyPairMatches,
  sealRelayMessage,
  signRelayDescriptor,
  toHex,
  type KeyPair,
  type OpenedRelayMessage,
  type RelayKind,
  type Result,
} from '@komrade/protocol';
import { PeerClient, type FederationConfig, type Peer } from '@komrade/service-runtime';

/** Remembers request nonces; `claim` is false for a nonce seen within the window. */
export interface NonceGuard {
  claim(nonce: Uint8Array): Promise<boolean>;
}

/**
 * Nonces in a JetStream memory stream with a duplicate window of twice the clock window:
 * shared by every operator instance, so a replay is caught whichever instance it reaches.
 */
export async function jetStreamNonceGuard(
  nc: NatsConnection,
  o: { replicas: number; timeoutMs: number },
): Promise<NonceGuard> {
  const jsm = await jetstreamManager(nc);
  const windowNs = nanos(2 * RELAY_CLOCK_WINDOW_MS);
  const config = {
    name: RELAY_NONCE_STREAM.name,
    subjects: [...RELAY_NONCE_STREAM.subjects],
    storage: StorageType.Memory,
    max_age: windowNs,
    duplicate_window: windowNs,
    num_replicas: o.replicas,
    max_msg_size: 64,
  };
  try {
    await jsm.streams.info(config.name);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (e) {
      if (!/already in use|exists/i.test(e instanceof Error ? e.message : '')) throw e;
    }
  }
  const js: JetStreamClient = jetstream(nc, { timeout: o.timeoutMs });
  const subject = RELAY_NONCE_STREAM.subjects[0] as string;
  return {
    async claim(nonce) {
      const ack = await js.publish(subject, new Uint8Array(0), { msgID: toHex(nonce) });
      return !ack.duplicate;
    },
  };
}

/** Token buckets refilled continuously to `perMin` per minute. */
class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly perMin: number,
    now: number,
  ) {
    this.tokens = perMin;
    this.at = now;
  }
  take(n: number, now: number): boolean {
    this.tokens = Math.min(this.perMin, this.tokens + ((now - this.at) * this.perMin) / 60_000);
    this.at = now;
    // a single request larger than a whole minute's allowance still passes when full
    if (this.tokens < Math.min(n, this.perMin)) return false;
    this.tokens -= n;
    return true;
  }
}

export interface PeerQuotaLimits {
  readonly envelopesPerMin: number;
  readonly bytesPerMin: number;
  readonly lookupsPerMin: number;
}

/** Per-peer quotas of this operator instance (SPEC.md section 19.6). */
export class PeerQuotas {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly limits: PeerQuotaLimits,
    private readonly now: () => number,
  ) {}

  private bucket(key: string, perMin: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(perMin, this.now());
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Mail from a peer: its envelope count and bytes both have to fit. */
  mail(peer: string, envelopes: number, bytes: number): boolean {
    const now = this.now();
    const e = this.bucket(`e:${peer}`, this.limits.envelopesPerMin);
    const b = this.bucket(`b:${peer}`, this.limits.bytesPerMin);
    return e.take(envelopes, now) && b.take(bytes, now);
  }

  /** A lookup to or from a peer (`direction` keeps the two apart). */
  lookup(peer: string, direction: 'in' | 'out'): boolean {
    return this.bucket(`l${direction}:${peer}`, this.limits.lookupsPerMin).take(1, this.now());
  }
}

/** Federation metrics of the operator. Labels: peer names (public, few) and error codes. */
export class FederationMetrics {
  readonly received: Counter;
  readonly refusals: Counter;
  readonly lookups: Counter;
  constructor(meter: Meter) {
    this.received = meter.createCounter('komrade_relay_received_envelopes_total', {
      description: 'Envelopes received from peer relays, by peer and outcome (stored or refused)',
    });
    this.refusals = meter.createCounter('komrade_relay_refused_requests_total', {
      description:
        'Requests on the relay link refused before any envelope was looked at, by error code',
    });
    this.lookups = meter.createCounter('komrade_relay_lookups_total', {
      description: 'Directory lookups across relays, by peer, direction (in/out) and outcome',
    });
  }
}

/** What the operator needs to federate: identity, peers, link client, replay guard, quotas. */
export class OperatorFederation {
  readonly client: PeerClient;
  readonly descriptor: Uint8Array;
  /** What peers write in KOMRADE_PEERS for this relay. */
  readonly fingerprint: string;
  private readonly byName: Map<string, Peer>;
  private readonly byFingerprint: Map<string, string>;

  constructor(
    readonly relayName: string,
    readonly keys: KeyPair,
    readonly config: FederationConfig,
    readonly nonces: NonceGuard,
    readonly quotas: PeerQuotas,
    readonly now: () => number,
    readonly metrics: FederationMetrics | undefined,
    timeoutMs: number,
  ) {
    if (!relayKeyPairMatches(keys))
      throw new Error('KOMRADE_RELAY_KEY: the public key does not belong to the private key');
    this.byName = new Map(config.peers.map((p) => [p.name, p]));
    this.byFingerprint = new Map(config.peers.map((p) => [p.fingerprint, p.name]));
    this.client = new PeerClient({
      relayName,
      keys,
      socksUrl: config.socksUrl,
      timeoutMs,
      now,
    });
    const d = signRelayDescriptor(keys, {
      relay: relayName,
      relayKey: keys.publicKey,
      url: config.relayUrl,
      timestampMs: now(),
    });
    if (!d.ok) throw new Error(`cannot sign the relay descriptor: ${d.code}`);
    this.descriptor = d.value;
    this.fingerprint = relayFingerprint(keys.publicKey);
  }

  /** The configured peer called `name`, if any. */
  peer(name: string): Peer | undefined {
    return this.byName.get(name);
  }

  /** Authenticates a request from a peer (SPEC.md section 19.3, steps 1-6). */
  open(bytes: Uint8Array, kind: RelayKind): Result<OpenedRelayMessage> {
    return openRelayMessage(bytes, {
      me: this.relayName,
      kind,
      nowMs: this.now(),
      peerByFingerprint: (fp) => this.byFingerprint.get(fp),
    });
  }

  /** Signs an answer to `request` from `peer`. */
  answer(kind: RelayKind, request: OpenedRelayMessage, body: Uint8Array): Result<Uint8Array> {
    return sealRelayMessage(
      this.keys,
      {
        kind,
        from: this.relayName,
        to: request.peer,
        timestampMs: this.now(),
        nonce: request.statement.nonce,
      },
      body,
    );
  }
}

/**
 * Starts federation for an operator whose configuration has a relay key: initialises
 * Themis (the operator needs it only for relay links), checks the key pair, signs the
 * descriptor and opens the shared replay guard.
 */
export async function startFederation(o: {
  readonly relayName: string;
  readonly config: FederationConfig;
  readonly quotas: PeerQuotaLimits;
  readonly nc: NatsConnection;
  readonly replicas: number;
  readonly timeoutMs: number;
  readonly meter: Meter | undefined;
  readonly now: () => number;
}): Promise<OperatorFederation | undefined> {
  const keys = o.config.relayKey;
  if (keys === undefined) return undefined;
  await initCrypto();
  const nonces = await jetStreamNonceGuard(o.nc, { replicas: o.replicas, timeoutMs: o.timeoutMs });
  return new OperatorFederation(
    o.relayName,
    keys,
    o.config,
    nonces,
    new PeerQuotas(o.quotas, o.now),
    o.now,
    o.meter ? new FederationMetrics(o.meter) : undefined,
    // a peer behind Tor answers in seconds; never wait on it longer than a client would
    Math.max(o.timeoutMs, 30_000),
  );
}
