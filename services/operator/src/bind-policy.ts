import { isIP } from 'node:net';

/** Where the operator listens: a TCP host:port or a unix socket path. */
export type ListenTarget =
  { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * The operator must be reachable only through its Tor onion service, so it listens on
 * loopback or a unix socket. Anything else needs the explicit development flag.
 */
export function listenTarget(host: string, port: number): ListenTarget {
  if (host.startsWith('unix:')) return { kind: 'unix', path: host.slice('unix:'.length) };
  if (host.startsWith('/')) return { kind: 'unix', path: host };
  return { kind: 'tcp', host, port };
}

export function isLoopbackOnly(t: ListenTarget): boolean {
  if (t.kind === 'unix') return true;
  if (t.host === 'localhost') return true;
  if (isIP(t.host) === 4) return t.host.startsWith('127.');
  if (isIP(t.host) === 6) return t.host === '::1';
  return false;
}
