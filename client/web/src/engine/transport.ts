import { fetchTransport, type Transport } from '@komrade/client';
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
  return fetchTransport(call);
}
