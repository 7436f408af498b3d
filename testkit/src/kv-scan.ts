import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

/** Every live key of a JetStream KV bucket with its value (for "what is stored" proofs). */
export async function dumpKv(
  natsUrl: string,
  bucket: string,
): Promise<{ key: string; value: Uint8Array }[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nc).open(bucket);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    const out: { key: string; value: Uint8Array }[] = [];
    for (const key of keys.sort()) {
      const e = await kv.get(key);
      if (e && e.operation === 'PUT') out.push({ key, value: e.value.slice() });
    }
    return out;
  } finally {
    await nc.close();
  }
}
