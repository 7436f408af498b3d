/**
 * The account's home in this browser: one IndexedDB database with one object store.
 * Records hold only sealed bytes: the keystore (the same KMKS container the CLI writes)
 * and the conversation history (a Secure Cell sealed with a key derived from the
 * account's identity key). Nothing readable is stored.
 */
const DB_NAME = 'komrade';
const DB_VERSION = 1;
const STORE = 'vault';

export type RecordKey = 'keystore' | 'history';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => {
      resolve(r.result);
    };
    r.onerror = () => {
      reject(r.error ?? new Error('IndexedDB request failed'));
    };
  });
}

let opened: Promise<IDBDatabase> | undefined;

function db(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
    };
    r.onsuccess = () => {
      resolve(r.result);
    };
    r.onerror = () => {
      opened = undefined;
      reject(r.error ?? new Error('cannot open IndexedDB'));
    };
    r.onblocked = () => {
      opened = undefined;
      reject(new Error('IndexedDB is blocked by another tab'));
    };
  });
  return opened;
}

/** Reads a record, or undefined when there is none. */
export async function load(key: RecordKey): Promise<Uint8Array | undefined> {
  const tx = (await db()).transaction(STORE, 'readonly');
  const v: unknown = await request(tx.objectStore(STORE).get(key));
  return v instanceof Uint8Array ? v : undefined;
}

/**
 * Writes records in one transaction and resolves once it committed with strict
 * durability: the SDK acknowledges mail (and the relay deletes it) only after this.
 */
export async function save(records: Partial<Record<RecordKey, Uint8Array>>): Promise<void> {
  const tx = (await db()).transaction(STORE, 'readwrite', { durability: 'strict' });
  const store = tx.objectStore(STORE);
  for (const [k, v] of Object.entries(records)) store.put(v, k);
  await done(tx);
}

/** Deletes every record (forget this account on this browser). */
export async function clear(): Promise<void> {
  const tx = (await db()).transaction(STORE, 'readwrite', { durability: 'strict' });
  tx.objectStore(STORE).clear();
  await done(tx);
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => {
      resolve();
    };
    tx.onerror = () => {
      reject(tx.error ?? new Error('IndexedDB transaction failed'));
    };
    tx.onabort = () => {
      reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    };
  });
}
