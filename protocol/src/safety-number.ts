import { sha256, sha512 } from '@noble/hashes/sha2.js';

const FINGERPRINT_DOMAIN = new TextEncoder().encode('KM-SAFETY-1');
const SECRET_DOMAIN = new TextEncoder().encode('KM-SAFETY-SECRET-1');
/** Hash iterations per fingerprint: makes grinding for a look-alike key costlier. */
export const SAFETY_ITERATIONS = 5200;
/** A fingerprint is 6 groups of 5 decimal digits. */
export const SAFETY_GROUPS = 6;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * The 30-digit fingerprint of one identity key, as 6 groups of 5 digits:
 * h = SHA-512("KM-SAFETY-1" || key), then 5200 times h = SHA-512(h || key); each 5-byte
 * slice of the first 30 bytes, read big-endian, modulo 100000. (The construction follows
 * Signal's displayable fingerprints.)
 */
export function safetyFingerprint(identityKey: Uint8Array): string[] {
  let h = sha512.create().update(FINGERPRINT_DOMAIN).update(identityKey).digest();
  for (let i = 0; i < SAFETY_ITERATIONS; i++)
    h = sha512.create().update(h).update(identityKey).digest();
  const groups: string[] = [];
  for (let g = 0; g < SAFETY_GROUPS; g++) {
    let v = 0;
    for (let i = 0; i < 5; i++) v = v * 256 + (h[g * 5 + i] as number);
    groups.push(String(v % 100000).padStart(5, '0'));
  }
  return groups;
}

/** Both komrades' fingerprints, in the same order on both sides (lower key first). */
export interface SafetyNumber {
  /** 12 groups of 5 digits: the lower key's fingerprint, then the higher key's. */
  readonly groups: readonly string[];
  readonly mine: readonly string[];
  readonly theirs: readonly string[];
}

/** The safety number two komrades compare: identical on both sides iff they hold the same two keys. */
export function safetyNumber(myKey: Uint8Array, theirKey: Uint8Array): SafetyNumber {
  const mine = safetyFingerprint(myKey);
  const theirs = safetyFingerprint(theirKey);
  const groups = compareBytes(myKey, theirKey) <= 0 ? [...mine, ...theirs] : [...theirs, ...mine];
  return { groups, mine, theirs };
}

/**
 * The secret both sides feed to Secure Comparator in an interactive check:
 * SHA-256("KM-SAFETY-SECRET-1" || lower key || higher key || u32 len || shared phrase),
 * the phrase in UTF-8, NFC. Equal iff both sides hold the same pair of identity keys and
 * typed the same phrase.
 *
 * Why a phrase: the keys are public, so a relay that substituted keys (a man in the
 * middle) could compute a keys-only secret for each side and make both checks pass. A
 * phrase the two komrades agreed outside Komrade (in person, or an answer only the other
 * knows) is what the interceptor lacks. Secure Comparator gives an attacker one guess per
 * run, so a short phrase is enough.
 */
export function safetySecret(myKey: Uint8Array, theirKey: Uint8Array, phrase: string): Uint8Array {
  const [lo, hi] = compareBytes(myKey, theirKey) <= 0 ? [myKey, theirKey] : [theirKey, myKey];
  const p = new TextEncoder().encode(phrase.normalize('NFC'));
  const len = Uint8Array.of(
    p.length >>> 24,
    (p.length >>> 16) & 0xff,
    (p.length >>> 8) & 0xff,
    p.length & 0xff,
  );
  return sha256.create().update(SECRET_DOMAIN).update(lo).update(hi).update(len).update(p).digest();
}

/** Which side starts the interactive check: the one holding the lower identity key. */
export function isVerifyInitiator(myKey: Uint8Array, theirKey: Uint8Array): boolean {
  return compareBytes(myKey, theirKey) < 0;
}
