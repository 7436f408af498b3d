import { errorFrom, type Transport } from '@komrade/client';
import { KomradeError } from '@komrade/protocol';

/**
 * The SDK transport for the web client: fetch() with root-relative paths, so every call
 * goes to the origin that served the page and nowhere else (the CSP allows only that).
 * Loaded from an .onion address, the page is in Tor Browser and so is every call; the
 * SDK's httpTransport refuses .onion names because, outside a browser, they would leak
 * to DNS, which cannot happen here.
 */
export function sameOriginTransport(timeoutMs = 60_000): Transport {
  const call = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(path, {
        ...init,
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new KomradeError('ERR_CLIENT_UNREACHABLE');
    }
  };
  return {
    async post(path, body) {
      const res = await call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(body),
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (res.status >= 400) throw errorFrom(res.status, bytes);
      return { status: res.status, body: bytes, headers: res.headers };
    },
    async getJson(path) {
      const res = await call(path, { method: 'GET' });
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (res.status >= 400) throw errorFrom(res.status, bytes);
      try {
        return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
      } catch {
        throw new KomradeError('ERR_CLIENT_PROTOCOL');
      }
    },
  };
}
