/**
 * NATS subjects and queue groups. Every subject is versioned and scoped by area so NATS
 * permissions can be granted per service (see SPEC.md "Subjects" for who may publish and
 * subscribe to what). No subject ever contains an identifier.
 */
export const SERVICES = Object.freeze(['operator', 'sorter', 'vouch', 'purge'] as const);
export type ServiceName = (typeof SERVICES)[number];

export const SUBJECTS = Object.freeze({
  /** JetStream: sealed envelopes accepted by the operator, consumed by the sorter. */
  mailInbound: 'komrade.v1.mail.inbound',
  /** Request/reply, served by the sorter: MailboxCreate -> empty Accepted / ErrorReply. */
  mailboxCreate: 'komrade.v1.mailbox.create',
  /** Request/reply, served by the sorter: SessionOpen -> SessionGrant / ErrorReply. */
  mailboxSession: 'komrade.v1.mailbox.session',
  /** Request/reply, served by the sorter: FetchRequest -> FetchResponse / ErrorReply. */
  mailboxFetch: 'komrade.v1.mailbox.fetch',
  /** Request/reply, served by purge: AckRequest -> AckResponse / ErrorReply. */
  mailboxAck: 'komrade.v1.mailbox.ack',
  /** Ops: every instance of every service answers (no queue group). */
  opsPing: 'komrade.v1.ops.ping',
  /** Request/reply, served by vouch: DirectoryRegister -> DirectoryRecord / ErrorReply. */
  directoryRegister: 'komrade.v1.directory.register',
  /** Request/reply, served by vouch: DirectoryLookup -> DirectoryRecord / ErrorReply. */
  directoryLookup: 'komrade.v1.directory.lookup',
  /** JetStream: one envelope for a collective's fan-out address; the sorter copies it to every member. */
  mailFanout: 'komrade.v1.mail.fanout',
  /**
   * JetStream: a collective post from a peer relay for members of this relay (a RelayFanout
   * with one Delivery item); the sorter stores it in each listed collective mailbox.
   */
  mailDelivery: 'komrade.v1.mail.delivery',
  /**
   * Request/reply, operator -> vouch: a peer relay's collective request or query, as a
   * RemoteCollective naming that peer -> the same answers as the local subjects.
   */
  collectiveRemote: 'komrade.v1.collective.remote',
  /** Request/reply, served by vouch: CollectiveRequest -> CollectiveResult / ErrorReply. */
  collectiveRequest: 'komrade.v1.collective.request',
  /** Request/reply, served by vouch: CollectiveShow -> CollectiveView / ErrorReply. */
  collectiveShow: 'komrade.v1.collective.show',
  /** Request/reply, served by vouch: VouchCountQuery -> VouchCount / ErrorReply. */
  collectiveCount: 'komrade.v1.collective.count',
  /** Request/reply, sorter -> vouch: FanoutQuery -> FanoutMembers / ErrorReply. */
  collectiveFanout: 'komrade.v1.collective.fanout',
  /** Request/reply, served by the sorter: WorldPost (stamp checked) -> Accepted / ErrorReply. */
  worldPublish: 'komrade.v1.world.publish',
  /** Request/reply, served by the sorter: WorldListRequest -> WorldListResponse / ErrorReply. */
  worldList: 'komrade.v1.world.list',
});

/** Per-service health subject; one instance of the service answers (queue group). */
export function healthSubject(service: ServiceName): string {
  return `komrade.v1.health.${service}`;
}

/** Each service's queue group is its own name, so more copies share the work. */
export function queueGroup(service: ServiceName): string {
  return service;
}

/** JetStream resources. */
export const STREAMS = Object.freeze({
  mail: Object.freeze({
    name: 'KOMRADE_MAIL',
    subjects: Object.freeze([
      'komrade.v1.mail.inbound',
      'komrade.v1.mail.fanout',
      'komrade.v1.mail.delivery',
    ]),
  }),
});

/**
 * JetStream key-value buckets. The directory is public data and the only durable store
 * here: file storage, replicated when clustered, one value per name (history 1).
 */
export const KV_BUCKETS = Object.freeze({
  directory: 'KOMRADE_DIRECTORY',
  /** Collective records, vouch token sets, fan-out index and vouch counts (public data). */
  collectives: 'KOMRADE_COLLECTIVES',
  /** Used request nonces (keyed digests), kept twice the clock window then dropped. */
  collectiveNonces: 'KOMRADE_COLLECTIVE_NONCES',
});

/** KV key of a canonical name in the directory bucket. */
export function directoryKey(name: string): string {
  return `name.${name}`;
}

/** KV key of a collective's record (KOMRADE_COLLECTIVES). */
export function collectiveKey(name: string): string {
  return `c.${name}`;
}

/** KV key mapping a fan-out mailbox id (hex) to its collective's name. */
export function fanoutKey(fanoutIdHex: string): string {
  return `f.${fanoutIdHex}`;
}

/**
 * KV key of a token set: the keyed vouch tokens of one candidacy (`scope` = `c<epoch>`)
 * or the vote tokens of one policy proposal (`p<policy epoch>-<hash>`).
 */
export function tokenSetKey(name: string, scope: string): string {
  return `t.${name}.${scope}`;
}

/** KV key of a komrade's overall vouch count (a set of token digests), by identity key hex. */
export function vouchCountKey(identityKeyHex: string): string {
  return `k.${identityKeyHex}`;
}

/** KV key of a used request nonce (KOMRADE_COLLECTIVE_NONCES), by its keyed digest in hex. */
export function collectiveNonceKey(digestHex: string): string {
  return `n.${digestHex}`;
}

/** Federation: the stream of mail waiting to be forwarded to peer relays (one subject per peer). */
export const OUTBOUND_STREAM = Object.freeze({
  name: 'KOMRADE_OUTBOUND',
  subjects: Object.freeze(['komrade.v1.relay.outbound.>']),
});

/**
 * Federation: the outbound subject of one peer relay. A relay name may contain dots
 * (NATS token separators) but never underscores, so dots become underscores: the mapping
 * stays one to one and the subject has exactly five tokens. Relay names are public.
 */
export function outboundSubject(peer: string): string {
  return `komrade.v1.relay.outbound.${peer.replaceAll('.', '_')}`;
}

/** Federation: the forwarder's durable pull consumer for one peer on the outbound stream. */
export function outboundConsumer(peer: string): string {
  return `forward-${peer.replaceAll('.', '_')}`;
}

/**
 * Federation: the replay guard of relay requests. Each request nonce is published here with
 * the nonce as JetStream message id; the duplicate window is twice the clock window, so a
 * duplicate acknowledgement means a replay. Memory storage, nothing but the nonces.
 */
export const RELAY_NONCE_STREAM = Object.freeze({
  name: 'KOMRADE_RELAY_NONCES',
  subjects: Object.freeze(['komrade.v1.relay.nonce']),
});

/** The sorter's durable pull consumer on the mail stream. */
export const MAIL_CONSUMER = 'sorter';

/** JSON body of a health reply (ops traffic, not user data). */
export interface HealthReply {
  readonly service: ServiceName;
  readonly ok: boolean;
  readonly ready: boolean;
  readonly version: string;
  readonly uptimeSec: number;
}
