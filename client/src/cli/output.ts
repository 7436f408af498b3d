import { safetyFingerprint, toHex, type DirectoryEntry } from '@komrade/protocol';
import type { CliSession } from './session.js';

/** What a command produced: lines for people, a value for --json. */
export interface Output {
  readonly human: readonly string[];
  readonly json: unknown;
}

export function print(s: CliSession, out: Output): void {
  if (s.json) s.io.stdout.write(`${JSON.stringify(out.json, null, 2)}\n`);
  else if (out.human.length > 0) s.io.stdout.write(`${out.human.join('\n')}\n`);
}

/** 30 digits as "12345 67890 ..." */
export function groups(g: readonly string[]): string {
  return g.join(' ');
}

export function fingerprintOf(key: Uint8Array): string[] {
  return safetyFingerprint(key);
}

/** Local time, minutes precision, for people. */
export function when(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A directory entry as JSON (public data only). */
export function entryJson(e: DirectoryEntry): Record<string, unknown> {
  return {
    name: e.name,
    identityKey: toHex(e.identityKey),
    fingerprint: groups(fingerprintOf(e.identityKey)),
    relay: e.intro.relay,
    registeredAt: iso(e.timestampMs),
  };
}
