import type { OperatorDeps } from './operator-deps.js';

const HOUR_MS = 3_600_000;

/**
 * The expiry hours this relay accepts now (SPEC 4.1): from the current hour to the end of
 * the mail lifetime. Every route that takes envelopes (mail, fan-out, relay links) checks
 * them with this one window.
 */
export function expiryWindow(
  deps: Pick<OperatorDeps, 'now' | 'config'>,
): (hour: number) => boolean {
  const now = deps.now();
  const first = Math.floor(now / HOUR_MS);
  const last = Math.floor((now + deps.config.mailMaxTtlSec * 1000) / HOUR_MS);
  return (hour) => hour >= first && hour <= last;
}
