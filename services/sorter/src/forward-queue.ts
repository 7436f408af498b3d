import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { outboundSubject, toHex, type DecodedEnvelope } from '@komrade/protocol';

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

  async publish(env: DecodedEnvelope): Promise<void> {
    await this.js.publish(outboundSubject(env.to.relay), env.bytes, {
      msgID: toHex(env.id),
      timeout: this.timeoutMs,
    });
  }
}
