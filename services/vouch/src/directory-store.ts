import { JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { directoryKey, KV_BUCKETS, MAX_SIGNED_ENTRY } from '@komrade/protocol';

/**
 * Where directory records live. One value per canonical name, written once: the first
 * writer wins and nothing is ever overwritten or deleted by the service.
 */
export interface DirectoryStore {
  /** The stored DirectoryRecord bytes, or undefined when the name is free. */
  get(name: string): Promise<Uint8Array | undefined>;
  /** Stores a record only if the name is free; false when it was already taken. */
  create(name: string, record: Uint8Array): Promise<boolean>;
}

/** A record is a header, a 45-byte key and a signed entry: this bounds every value. */
const MAX_RECORD_BYTES = 4 + 1 + 45 + 2 + MAX_SIGNED_ENTRY;

/**
 * The directory in a JetStream KV bucket: file storage (public data is the one thing a
 * relay keeps durably), `replicas` copies when clustered, history 1. Creation uses the
 * KV create operation (expected last sequence 0 for the key), so two registrations racing
 * for one name cannot both win, whichever vouch instance handles them.
 */
export async function openKvDirectory(
  nc: NatsConnection,
  o: { readonly replicas: number; readonly timeoutMs?: number },
): Promise<DirectoryStore> {
  const kv: KV = await new Kvm(nc).create(KV_BUCKETS.directory, {
    history: 1,
    replicas: o.replicas,
    storage: StorageType.File,
    maxValueSize: MAX_RECORD_BYTES,
    timeout: o.timeoutMs ?? 5000,
  });
  return {
    async get(name) {
      const e = await kv.get(directoryKey(name));
      if (e === null || e.operation !== 'PUT') return undefined;
      return e.value.slice();
    },
    async create(name, record) {
      try {
        await kv.create(directoryKey(name), record);
        return true;
      } catch (e) {
        if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamWrongLastSequence)
          return false;
        throw e;
      }
    },
  };
}

/** In-memory store with the same contract, for unit tests. */
export class MemoryDirectoryStore implements DirectoryStore {
  readonly records = new Map<string, Uint8Array>();

  get(name: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.records.get(name)?.slice());
  }

  create(name: string, record: Uint8Array): Promise<boolean> {
    if (this.records.has(name)) return Promise.resolve(false);
    this.records.set(name, record.slice());
    return Promise.resolve(true);
  }
}
