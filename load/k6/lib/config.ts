// Settings from the environment (k6 -e NAME=value) and the files written by
// `npm run bench -- seal`. open() works only in the init context: call these at top level.
import { EnvelopeFile, fromHex } from './wire.ts';

export function env(name: string, fallback: string): string {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

export function envNumber(name: string, fallback: number): number {
  const v = Number(env(name, String(fallback)));
  if (!Number.isFinite(v)) throw new Error(`${name} must be a number`);
  return v;
}

/** Operator base URL: a real deployment's, e.g. http://127.0.0.1:8080 behind its onion service. */
export const BASE_URL = env('KOMRADE_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');
/** Directory written by `npm run bench -- seal --out DIR`. */
export const DATA_DIR = env('KOMRADE_SEALED', './sealed');

export const BINARY = { headers: { 'content-type': 'application/octet-stream' } };

export function loadEnvelopes(dir = DATA_DIR): EnvelopeFile {
  return new EnvelopeFile(open(`${dir}/envelopes.bin`, 'b'));
}

export interface Session {
  readonly id: Uint8Array;
  readonly token: Uint8Array;
}

/** sessions.json (seal with --operator): one fetch session per mailbox. */
export function loadSessions(dir = DATA_DIR): Session[] {
  const raw = JSON.parse(open(`${dir}/sessions.json`)) as { id: string; token: string }[];
  return raw.map((s) => ({ id: fromHex(s.id), token: fromHex(s.token) }));
}
