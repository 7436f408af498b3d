import { isErrorCode, KomradeError } from '@komrade/protocol';

/** How the SDK talks to an operator. The Tor (SOCKS5) transport implements the same. */
export interface Transport {
  /** POSTs bytes; resolves with the response bytes and status, or throws KomradeError. */
  post(
    path: string,
    body: Uint8Array,
  ): Promise<{ status: number; body: Uint8Array; headers: Headers }>;
  getJson(path: string): Promise<unknown>;
}

export interface HttpTransportOptions {
  /** e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Plain HTTP transport, for loopback development and tests. Error answers are the
 * operator's JSON `{error:{code}}` and become KomradeError with that code; anything
 * unreadable becomes ERR_CLIENT_PROTOCOL, and a connection failure ERR_CLIENT_UNREACHABLE.
 */
export function httpTransport(o: HttpTransportOptions): Transport {
  const f = o.fetch ?? globalThis.fetch;
  const base = o.baseUrl.replace(/\/+$/, '');
  // An .onion name must never reach the system resolver or a clearnet socket: refuse here,
  // before any lookup; onion operators are reached with socksTransport (@komrade/client/node).
  if (/\.onion\.?$/i.test(new URL(base).hostname))
    throw new KomradeError('ERR_CLIENT_UNREACHABLE', 'an .onion operator needs the Tor transport');
  const timeoutMs = o.timeoutMs ?? 15_000;
  const call = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await f(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch {
      throw new KomradeError('ERR_CLIENT_UNREACHABLE');
    }
  };
  return fetchTransport(call);
}

/**
 * A Transport over any fetch-like call (path + init -> Response): binary POSTs, JSON GETs,
 * and operator error answers turned into KomradeError. Shared by httpTransport and the
 * web client's same-origin transport.
 */
export function fetchTransport(
  call: (path: string, init: RequestInit) => Promise<Response>,
): Transport {
  const read = async (res: Response): Promise<Uint8Array> => {
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.status >= 400) throw errorFrom(res.status, bytes);
    return bytes;
  };
  return {
    async post(path, body) {
      const res = await call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(body),
      });
      return { status: res.status, body: await read(res), headers: res.headers };
    },
    async getJson(path) {
      const bytes = await read(await call(path, { method: 'GET' }));
      try {
        return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
      } catch {
        throw new KomradeError('ERR_CLIENT_PROTOCOL');
      }
    },
  };
}

/** An operator error body -> KomradeError with its registered code. */
export function errorFrom(status: number, bytes: Uint8Array): KomradeError {
  try {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as { error?: { code?: unknown } };
    const code = j.error?.code;
    if (isErrorCode(code)) return new KomradeError(code);
  } catch {
    // fall through
  }
  return new KomradeError('ERR_CLIENT_PROTOCOL', `HTTP ${status}`);
}
