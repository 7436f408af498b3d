import type { Result } from '../result.js';
import { decodeEnvelope, type DecodedEnvelope } from './envelope.js';
import { decodeWith } from './decode.js';
import { MessageType, readHeader, writeHeader } from './header.js';
import { MAX_PLAINTEXT, SEALED_OVERHEAD } from './padding.js';
import { WireError } from './wire-error.js';
import { Writer } from './writer.js';

/** Most envelopes one POST may carry. */
export const MAX_BATCH = 256;
/** Largest encoded envelope: header, longest relay name, fixed fields, largest ciphertext. */
export const MAX_ENVELOPE_BYTES =
  4 + 1 + 63 + 16 + 4 + 8 + 1 + 45 + 4 + MAX_PLAINTEXT + SEALED_OVERHEAD;

/*
 * EnvelopeBatch (type 0x02):
 * +--------+-------------+------------------------------------------+
 * | header | count u16   | count x (u32 len + Envelope bytes)       |
 * +--------+-------------+------------------------------------------+
 * count is 1..256.
 */
export function encodeEnvelopeBatch(envelopes: readonly Uint8Array[]): Uint8Array {
  if (envelopes.length < 1 || envelopes.length > MAX_BATCH) throw new RangeError('batch size');
  const w = new Writer(envelopes.reduce((n, e) => n + e.length + 4, 8));
  writeHeader(w, MessageType.EnvelopeBatch);
  w.u16(envelopes.length);
  for (const e of envelopes) w.bytesU32(e);
  return w.finish();
}

export function decodeEnvelopeBatch(bytes: Uint8Array): Result<DecodedEnvelope[]> {
  return decodeWith(bytes, (r) => {
    readHeader(r, MessageType.EnvelopeBatch);
    const count = r.u16('count');
    if (count < 1 || count > MAX_BATCH) throw new WireError('ERR_WIRE_LENGTH', 'count');
    const out: DecodedEnvelope[] = [];
    for (let i = 0; i < count; i++) {
      // a view: decodeEnvelope copies every field it returns, so nothing aliases `bytes`
      const res = decodeEnvelope(r.viewU32(1, MAX_ENVELOPE_BYTES, 'envelope'));
      if (!res.ok) throw new WireError(res.code, `envelope ${i}`);
      out.push(res.value);
    }
    return out;
  });
}
