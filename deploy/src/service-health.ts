import { healthSubject, type HealthReply, type ServiceName } from '@komrade/protocol';
import type { NatsConnection } from '@nats-io/transport-node';

/** Asks a service for its health over NATS; undefined when nobody answers in time. */
export async function requestHealth(
  nc: NatsConnection,
  service: ServiceName,
  timeoutMs = 1000,
): Promise<HealthReply | undefined> {
  try {
    const msg = await nc.request(healthSubject(service), new Uint8Array(0), { timeout: timeoutMs });
    return msg.json<HealthReply>();
  } catch {
    return undefined;
  }
}
