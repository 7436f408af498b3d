import { cellOpenWithKey, cellSealWithKey, KomradeError } from '@komrade/protocol';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ChatMessage } from './api.js';

/**
 * What this device remembers of its conversations. The SDK hands over received texts
 * once (`takeInbox`); the web client keeps them here so a reload still shows them. Stored
 * sealed (Themis Secure Cell) under a key derived from the identity private key, so it
 * opens only with the unlocked account and costs no second passphrase derivation.
 */
export interface History {
  readonly version: 1;
  conversations: Record<string, ChatMessage[]>;
  unread: Record<string, number>;
}

/** Oldest messages beyond this many per conversation are dropped from the device. */
export const MAX_PER_CONVERSATION = 500;

const DOMAIN = new TextEncoder().encode('KM-WEB-HISTORY-1');
const CONTEXT = new TextEncoder().encode('KMWEB/1/history');

export function emptyHistory(): History {
  return { version: 1, conversations: {}, unread: {} };
}

function historyKey(identityPrivateKey: Uint8Array): Uint8Array {
  return sha256.create().update(DOMAIN).update(identityPrivateKey).digest();
}

export function sealHistory(h: History, identityPrivateKey: Uint8Array): Uint8Array {
  const r = cellSealWithKey(
    historyKey(identityPrivateKey),
    new TextEncoder().encode(JSON.stringify(h)),
    CONTEXT,
  );
  if (!r.ok) throw new KomradeError(r.code);
  return r.value;
}

function isMessage(v: unknown): v is ChatMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m['id'] === 'string' &&
    (m['direction'] === 'in' || m['direction'] === 'out') &&
    typeof m['text'] === 'string' &&
    typeof m['atMs'] === 'number' &&
    (m['status'] === 'sent' || m['status'] === 'deleted')
  );
}

/** Opens stored history; an unreadable record gives an empty history (it is only a cache). */
export function openHistory(
  bytes: Uint8Array | undefined,
  identityPrivateKey: Uint8Array,
): History {
  if (bytes === undefined) return emptyHistory();
  const r = cellOpenWithKey(historyKey(identityPrivateKey), bytes, CONTEXT);
  if (!r.ok) return emptyHistory();
  try {
    const o = JSON.parse(new TextDecoder().decode(r.value)) as Record<string, unknown>;
    const h = emptyHistory();
    const convs = o['conversations'];
    if (typeof convs === 'object' && convs !== null)
      for (const [name, list] of Object.entries(convs as Record<string, unknown>))
        if (Array.isArray(list)) h.conversations[name] = list.filter(isMessage);
    const unread = o['unread'];
    if (typeof unread === 'object' && unread !== null)
      for (const [name, n] of Object.entries(unread as Record<string, unknown>))
        if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) h.unread[name] = n;
    return h;
  } catch {
    return emptyHistory();
  }
}

/** Appends to a conversation, keeping it in time order and bounded. */
export function append(h: History, name: string, m: ChatMessage): void {
  const list = h.conversations[name] ?? [];
  if (list.some((x) => x.id === m.id)) return;
  list.push(m);
  list.sort((a, b) => a.atMs - b.atMs);
  if (list.length > MAX_PER_CONVERSATION) list.splice(0, list.length - MAX_PER_CONVERSATION);
  h.conversations[name] = list;
}
