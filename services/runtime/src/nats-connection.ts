import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';

/**
 * Connects to NATS with reconnects forever (a relay must ride out a server restart).
 * `name` is the service name only: connection names show in NATS monitoring.
 */
export async function connectNats(
  servers: readonly string[],
  name: string,
): Promise<NatsConnection> {
  return connect({
    servers: [...servers],
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    timeout: 5000,
    // no stack capture for every request: ~20% of the operator's CPU per envelope (load/RESULTS.md)
    noAsyncTraces: true,
  });
}

export type { NatsConnection };
