/**
 * Plaintext inside every envelope is padded to one of these sizes, so the operator
 * sees only four possible ciphertext lengths. Order matters: smallest first.
 */
export const PLAINTEXT_BUCKETS = Object.freeze([1024, 4096, 16384, 65536] as const);

/** Bytes Themis Secure Message (encrypt mode, EC keys) adds to a plaintext. */
export const SEALED_OVERHEAD = 52;

/** Ciphertext lengths an envelope may carry. */
export const CIPHERTEXT_SIZES: ReadonlySet<number> = new Set(
  PLAINTEXT_BUCKETS.map((b) => b + SEALED_OVERHEAD),
);

export const MAX_PLAINTEXT = PLAINTEXT_BUCKETS[PLAINTEXT_BUCKETS.length - 1] as number;

/** Smallest bucket that fits n bytes, or undefined when nothing does. */
export function bucketFor(n: number): number | undefined {
  return PLAINTEXT_BUCKETS.find((b) => b >= n);
}
