import { request } from 'node:http';
import { KomradeError } from '@komrade/protocol';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { errorFrom, type Transport } from '../sdk/transport.js';

export interface SocksTransportOptions {
  /** The operator, e.g. http://<56 chars>.onion */
  readonly baseUrl: string;
  /** Tor's SocksPort, e.g. socks5h://127.0.0.1:9050 (socks5h: names resolve inside Tor). */
  readonly socksUrl: string;
  /**
   * Stream isolation: Tor builds separate circuits for different SOCKS credentials
   * (IsolateSOCKSAuth), so each identity passes its own key and two identities never
   * share a circuit. Any string; a random one per identity is best.
   */
  readonly isolationKey: string;
  /** Per attempt; Tor needs seconds, not milliseconds. Default 60 s. */
  readonly timeoutMs?: number;
  /** Attempts on connection failures (descriptor not yet published, circuit failed). Default 4. */
  readonly attempts?: number;
  /** Told about each retry (for a CLI progress line). */
  readonly onRetry?: (attempt: number, reason: string) => void;
}

/**
 * HTTP over Tor's SOCKS5 port. Every request is safe to retry (mail is deduplicated by
 * envelope id, fetch and ack are idempotent), so connection-level failures are retried
 * with backoff; HTTP error answers are not.
 */
export function socksTransport(o: SocksTransportOptions): Transport {
  const proxy = new URL(o.socksUrl);
  if (proxy.protocol !== 'socks5h:')
    throw new KomradeError(
      'ERR_CLIENT_PROTOCOL',
      'the SOCKS URL must be socks5h:// so names resolve inside Tor',
    );
  proxy.username = encodeURIComponent(o.isolationKey);
  proxy.password = 'komrade';
  const agent = new SocksProxyAgent(proxy.toString(), { timeout: o.timeoutMs ?? 60_000 });
  const base = new URL(o.baseUrl);
  const attempts = o.attempts ?? 4;

  const once = (method: 'GET' | 'POST', path: string, body?: Uint8Array) =>
    new Promise<{ status: number; body: Uint8Array; headers: Headers }>((resolve, reject) => {
      const req = request(
        {
          host: base.hostname,
          port: base.port || 80,
          path,
          method,
          agent,
          timeout: o.timeoutMs ?? 60_000,
          headers: body
            ? { 'content-type': 'application/octet-stream', 'content-length': body.length }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              if (typeof v === 'string') h.set(k, v);
            resolve({
              status: res.statusCode ?? 0,
              body: new Uint8Array(Buffer.concat(chunks)),
              headers: h,
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body ? Buffer.from(body) : undefined);
    });

  const withRetry = async (method: 'GET' | 'POST', path: string, body?: Uint8Array) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await once(method, path, body);
        if (res.status >= 400) throw errorFrom(res.status, res.body);
        return res;
      } catch (e) {
        if (e instanceof KomradeError) throw e;
        const reason = e instanceof Error ? e.message : 'connection failed';
        if (attempt >= attempts) throw new KomradeError('ERR_CLIENT_UNREACHABLE', reason);
        o.onRetry?.(attempt, reason);
        await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
      }
    }
  };

  return {
    post: (path, body) => withRetry('POST', path, body),
    async getJson(path) {
      const res = await withRetry('GET', path);
      try {
        return JSON.parse(new TextDecoder().decode(res.body)) as unknown;
      } catch {
        throw new KomradeError('ERR_CLIENT_PROTOCOL');
      }
    },
  };
}
