import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  encodeRelayFanout,
  FanoutItemKind,
  outboundSubject,
  toHex,
  type DecodedEnvelope,
  type FanoutItem,
} from '@komrade/protocol';

/**
 * Where the sorter puts mail for peer relays (SPEC.md section 19.4): the outbound stream,
 * on the peer's subject, with the envelope id as JetStream message id. `publish` resolves
 * only once JetStream acknowledged, so the inbound message is acked after that.
 */
export class OutboundQueue {
  private readonly js: JetStreamClient;
  private readonly peers: ReadonlySet<string>;

  constructor(
    nc: NatsConnection,
    peers: readonly string[],
    private readonly timeoutMs: number,
  ) {
    this.js = jetstream(nc, { timeout: timeoutMs });
    this.peers = new Set(peers);
  }

  /** True when mail for `relay` is forwarded by this relay. */
  has(relay: string): boolean {
    return this.peers.has(relay);
  }

  /**
   * A collective post for a peer (SPEC 20.9), as a RelayFanout with one item. Message ids:
   * `p.<envelope id>` for a post to the peer's collective, `d.<peer>.<envelope id>` for a
   * delivery to the peer's members (one envelope may be delivered to several peers).
   */
  async publishFanout(peer: string, item: FanoutItem): Promise<void> {
    const id = toHex(item.envelope.id);
    await this.js.publish(outboundSubject(peer), encodeRelayFanout([item]), {
      msgID: item.kind === FanoutItemKind.Post ? `p.${id}` : `d.${peer}.${id}`,
      timeout: this.timeoutMs,
    });
  }

  async publish(env: DecodedEnvelope): Promise<void> {
    await this.js.publish(outboundSubject(env.to.relay), env.bytes, {
      msgID: toHex(env.id),
      timeout: this.timeoutMs,
    });
  }
}
