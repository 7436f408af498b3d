import { errorFrom, type Transport } from '@komrade/client';
import { KomradeError } from '@komrade/protocol';
import type { Pool } from 'undici';

/**
 * The SDK's Transport over an undici keep-alive pool: the same HTTP client the baselines
 * use, so fetch-and-ack through KomradeClient is measured with it too.
 */
export function poolTransport(pool: Pool): Transport {
  const headersOf = (h: Record<string, string | string[] | undefined>): Headers => {
    const out = new Headers();
    for (const [k, v] of Object.entries(h))
      if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
    return out;
  };
  return {
    async post(path, body) {
      let res;
      try {
        res = await pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/octet-stream' },
          body,
        });
      } catch {
        throw new KomradeError('ERR_CLIENT_UNREACHABLE');
      }
      const bytes = new Uint8Array(await res.body.arrayBuffer());
      if (res.statusCode >= 400) throw errorFrom(res.statusCode, bytes);
      return { status: res.statusCode, body: bytes, headers: headersOf(res.headers) };
    },
    async getJson(path) {
      const res = await pool.request({ method: 'GET', path });
      const bytes = new Uint8Array(await res.body.arrayBuffer());
      if (res.statusCode >= 400) throw errorFrom(res.statusCode, bytes);
      return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    },
  };
}
