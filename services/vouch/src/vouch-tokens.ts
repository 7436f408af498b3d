import { createHash, createHmac } from 'node:crypto';
import { MESSAGE_ID_SIZE } from '@komrade/protocol';

const enc = new TextEncoder();
const TOKEN_SIZE = MESSAGE_ID_SIZE;

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function named(name: string): Uint8Array {
  const raw = enc.encode(name);
  return Uint8Array.of(raw.length, ...raw);
}

/**
 * Keyed, unlinkable tokens (SPEC section 20.4 and 20.8). Without the secret a token says
 * nothing about who made the vouch or vote it stands for; with the secret, it can be
 * recomputed for a given voucher, which is what stops double vouching and what an
 * operator holding the secret could also do (SPEC 20.7 says so).
 */
export class VouchTokens {
  constructor(private readonly secret: Uint8Array) {
    if (secret.length < 32) throw new RangeError('vouch secret must be at least 32 bytes');
  }

  private mac(...parts: Uint8Array[]): Uint8Array {
    const h = createHmac('sha256', this.secret);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest().subarray(0, TOKEN_SIZE));
  }

  /** HMAC(secret, "KM-VOUCH-1" || u8 len || name || voucher || candidate || epoch u32)[0..16] */
  vouch(collective: string, voucher: Uint8Array, candidate: Uint8Array, epoch: number): Uint8Array {
    return this.mac(enc.encode('KM-VOUCH-1'), named(collective), voucher, candidate, u32(epoch));
  }

  /** HMAC(secret, "KM-VOTE-1" || u8 len || name || voter || policy epoch u32 || policy)[0..16] */
  vote(collective: string, voter: Uint8Array, policyEpoch: number, policy: Uint8Array): Uint8Array {
    return this.mac(enc.encode('KM-VOTE-1'), named(collective), voter, u32(policyEpoch), policy);
  }

  /** HMAC(secret, "KM-NONCE-1" || nonce)[0..16]: what the replay guard stores. */
  nonce(nonce: Uint8Array): Uint8Array {
    return this.mac(enc.encode('KM-NONCE-1'), nonce);
  }
}

/** SHA-256("KM-VOUCH-COUNT-1" || token)[0..16]: an overall count set's element. */
export function countDigest(token: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(enc.encode('KM-VOUCH-COUNT-1'))
      .update(token)
      .digest()
      .subarray(0, TOKEN_SIZE),
  );
}

/** SHA-256(policy bytes)[0..8] in hex: names a proposal's token set. */
export function proposalTag(policy: Uint8Array): string {
  return createHash('sha256').update(policy).digest('hex').slice(0, 16);
}
