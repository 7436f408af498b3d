import { isRelayName, PUBLIC_KEY_SIZE, type KeyPair } from '@komrade/protocol';
import { z } from 'zod';
import { common } from './config.js';

/** A relay this relay exchanges mail with (KOMRADE_PEERS). */
export interface Peer {
  readonly name: string;
  /** Where its operator listens, e.g. http://<onion>.onion or http://127.0.0.1:port. */
  readonly url: string;
  /** 64 lower-case hex digits: relayFingerprint of its relay public key. */
  readonly fingerprint: string;
}

/** `<45-byte private key><45-byte public key>`, base64 or hex (SPEC.md section 19.1). */
export function parseRelayKey(s: string): KeyPair | undefined {
  const t = s.trim();
  let bytes: Uint8Array | undefined;
  if (/^[0-9a-fA-F]+$/.test(t) && t.length === PUBLIC_KEY_SIZE * 4)
    bytes = new Uint8Array(Buffer.from(t, 'hex'));
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(t)) bytes = new Uint8Array(Buffer.from(t, 'base64'));
  if (bytes?.length !== PUBLIC_KEY_SIZE * 2) return undefined;
  return {
    privateKey: bytes.slice(0, PUBLIC_KEY_SIZE),
    publicKey: bytes.slice(PUBLIC_KEY_SIZE),
  };
}

/** The text form of a relay key pair for KOMRADE_RELAY_KEY (base64). */
export function formatRelayKey(keys: KeyPair): string {
  return Buffer.concat([keys.privateKey, keys.publicKey]).toString('base64');
}

/** One peer as `name=url#fingerprint`; a list is comma-separated. */
export function formatPeers(peers: readonly Peer[]): string {
  return peers.map((p) => `${p.name}=${p.url}#${p.fingerprint}`).join(',');
}

const PEER_RE = /^([a-z0-9.-]+)=(https?:\/\/[^\s#,]+)#([0-9a-f]{64})$/;

/** Parses KOMRADE_PEERS; undefined with a reason on any malformed or repeated entry. */
export function parsePeers(s: string): { peers: Peer[] } | { problem: string } {
  const peers: Peer[] = [];
  for (const raw of s.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = PEER_RE.exec(item);
    if (!m?.[1] || !m[2] || !m[3] || !isRelayName(m[1]))
      return { problem: `"${item}" is not name=http(s)://host:port#<64 hex fingerprint>` };
    if (peers.some((p) => p.name === m[1])) return { problem: `peer ${m[1]} is listed twice` };
    peers.push({ name: m[1], url: m[2].replace(/\/+$/, ''), fingerprint: m[3] });
  }
  return { peers };
}

/** Schema fragments for the federation variables, shared by the operator and the sorter. */
export const federationShape = {
  KOMRADE_RELAY_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || parseRelayKey(v) !== undefined, {
      message: 'must be 90 bytes (private key then public key), base64 or hex',
    }),
  KOMRADE_RELAY_URL: z
    .string()
    .regex(/^(https?:\/\/[\x21-\x7e]+)?$/, 'must be http(s)://host[:port]')
    .max(512)
    .default(''),
  KOMRADE_PEERS: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      const r = parsePeers(v);
      if ('problem' in r) ctx.addIssue({ code: 'custom', message: r.problem });
    }),
  KOMRADE_RELAY_SOCKS: z
    .string()
    .regex(/^socks5h:\/\/[^\s]+$/, 'must be socks5h://host:port (names resolve inside Tor)')
    .optional(),
  KOMRADE_PEER_POSTAGE_BITS: common.count(12, 0, 28),
};

/** What both the operator and the sorter know about federation. */
export interface FederationConfig {
  readonly relayKey: KeyPair | undefined;
  readonly relayUrl: string;
  readonly peers: readonly Peer[];
  readonly socksUrl: string | undefined;
  /** Postage floor for mail crossing relays (both ways). */
  readonly peerPostageBits: number;
}

/**
 * Typed federation settings, with the cross-field checks: peers need a relay key, and an
 * onion peer needs a SOCKS proxy. Returns problems instead of throwing, so the caller lists
 * them with its other configuration problems.
 */
export function federationConfig(
  relayName: string,
  c: {
    KOMRADE_RELAY_KEY?: string | undefined;
    KOMRADE_RELAY_URL: string;
    KOMRADE_PEERS: string;
    KOMRADE_RELAY_SOCKS?: string | undefined;
    KOMRADE_PEER_POSTAGE_BITS: number;
  },
): { config: FederationConfig; problems: string[] } {
  const problems: string[] = [];
  const parsed = parsePeers(c.KOMRADE_PEERS);
  const peers = 'peers' in parsed ? parsed.peers : [];
  const relayKey = c.KOMRADE_RELAY_KEY ? parseRelayKey(c.KOMRADE_RELAY_KEY) : undefined;
  if (peers.length > 0 && relayKey === undefined)
    problems.push('KOMRADE_PEERS: peers need a relay key (KOMRADE_RELAY_KEY)');
  for (const p of peers) {
    if (p.name === relayName) problems.push(`KOMRADE_PEERS: ${p.name} is this relay`);
    if (/\.onion(:\d+)?$/.test(new URL(p.url).host) && c.KOMRADE_RELAY_SOCKS === undefined)
      problems.push(`KOMRADE_PEERS: ${p.name} is an onion address: set KOMRADE_RELAY_SOCKS`);
  }
  return {
    config: Object.freeze({
      relayKey,
      relayUrl: c.KOMRADE_RELAY_URL,
      peers: Object.freeze(peers),
      socksUrl: c.KOMRADE_RELAY_SOCKS,
      peerPostageBits: c.KOMRADE_PEER_POSTAGE_BITS,
    }),
    problems,
  };
}
