/** Cryptographically random bytes (Web Crypto: Node 20+ and browsers). */
export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}
