import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './lua-script.js';

/**
 * Waits until `replicas` replicas hold every write this client made to the node that owns
 * `key` (Redis WAIT). Redis replication is asynchronous: without this, a master that dies
 * right after a write can take the write with it even though the caller was told "stored".
 * WAIT counts the writes of one connection, so in a cluster it must go to the very
 * connection that carried the write: the master of the key's slot.
 * Resolves with how many replicas acknowledged.
 */
export async function waitForReplicas(
  client: RedisClient,
  key: string,
  replicas: number,
  timeoutMs: number,
): Promise<number> {
  let node: Redis | Cluster = client;
  if (client instanceof Cluster) {
    const owner = client.slots[calculateSlot(key)]?.[0];
    const found = client
      .nodes('master')
      .find((n) => `${n.options.host ?? ''}:${String(n.options.port)}` === owner);
    if (!found) throw new Error('no master known for the slot (cluster failover in progress)');
    node = found;
  }
  const n = await node.call('WAIT', replicas, timeoutMs);
  return typeof n === 'number' ? n : 0;
}
