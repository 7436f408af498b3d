import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { RedisClient } from './lua-script.js';

/**
 * The node that serves `key` by this client's current slot map ("host:port" of the
 * slot's master), for grouping keys per node; '' for a standalone server (one node) and
 * for a slot the map does not know yet. Only a hint: the map can be stale during a
 * failover or resharding, so whatever is sent per group must cope with a key that turns
 * out not to be on that node.
 */
export function nodeOfKey(client: RedisClient, key: string): string {
  if (!(client instanceof Cluster)) return '';
  return client.slots[calculateSlot(key)]?.[0] ?? '';
}

/**
 * Reloads a cluster client's slot map from the cluster (CLUSTER SLOTS); nothing to do for
 * a standalone server.
 */
export async function refreshRouting(client: RedisClient): Promise<void> {
  if (!(client instanceof Cluster)) return;
  await new Promise<void>((resolve, reject) => {
    client.refreshSlotsCache((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}
