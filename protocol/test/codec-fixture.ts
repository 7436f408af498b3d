import type fc from 'fast-check';
import type { Result } from '../src/index.js';

/** A codec under test, with what the shared wire tests need to drive it. */
/** A numeric field inside an encoding: a length prefix, a count, or a ranged value. */
export interface Field {
  readonly offset: number;
  readonly width: number;
}

export interface ValidSample {
  readonly bytes: Uint8Array;
  /** Header fields excluded; they are mutated generically. */
  readonly fields: readonly Field[];
}

export interface Codec {
  readonly name: string;
  readonly type: number;
  readonly decode: (bytes: Uint8Array) => Result<unknown>;
  /** Decodes then encodes again; undefined when the bytes do not decode. */
  readonly reencode: (bytes: Uint8Array) => Uint8Array | undefined;
  /** Decodes, zeroes the input, then encodes what was decoded (checks decoded values own their bytes). */
  readonly decodeWipeEncode: (bytes: Uint8Array) => Uint8Array | undefined;
  readonly valid: fc.Arbitrary<ValidSample>;
  /** One fixed valid encoding, for example-based tables. */
  readonly sample: Uint8Array;
  /** Whether the length of the whole message is checked before the header (SealedInner). */
  readonly sizeCheckedFirst?: boolean;
}

export function codec<T>(c: {
  name: string;
  type: number;
  decode: (bytes: Uint8Array) => Result<T>;
  encode: (value: T) => Uint8Array | undefined;
  valid: fc.Arbitrary<ValidSample>;
  sample: Uint8Array;
  sizeCheckedFirst?: boolean;
}): Codec {
  return {
    ...c,
    reencode: (bytes) => {
      const res = c.decode(bytes);
      return res.ok ? c.encode(res.value) : undefined;
    },
    decodeWipeEncode: (bytes) => {
      const res = c.decode(bytes);
      bytes.fill(0);
      return res.ok ? c.encode(res.value) : undefined;
    },
  };
}
