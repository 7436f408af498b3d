import { isCanonicalName, isRelayName, KomradeError, normalizeName } from '@komrade/protocol';

/** Who a komrade is across relays (federation, SPEC.md section 19.5). */
export interface Handle {
  /** The canonical name on its relay. */
  readonly name: string;
  readonly relay: string;
  /** `name` on our home relay, `name@relay` on any other: how contacts are named locally. */
  readonly handle: string;
  /** The relay to ask for the name, or undefined for our home relay. */
  readonly remote: string | undefined;
}

/**
 * Parses `name` or `name@relay` as typed (`@` prefix and case folded as for names).
 * `ERR_NAME_INVALID` for a bad name, `ERR_RELAY_UNKNOWN` for a malformed relay name.
 */
export function parseHandle(input: string, home: string): Handle {
  const t = input.trim();
  const at = t.lastIndexOf('@');
  const hasRelay = at > 0;
  const n = normalizeName(hasRelay ? t.slice(0, at) : t);
  if (!n.ok) throw new KomradeError(n.code);
  const name = n.value;
  const relay = hasRelay ? t.slice(at + 1).toLowerCase() : home;
  if (!isRelayName(relay)) throw new KomradeError('ERR_RELAY_UNKNOWN');
  const local = relay === home;
  return {
    name,
    relay,
    handle: local ? name : `${name}@${relay}`,
    remote: local ? undefined : relay,
  };
}

/** The bare name of a local handle (`bob@red` -> `bob`). */
export function bareName(handle: string): string {
  const at = handle.indexOf('@');
  return at < 0 ? handle : handle.slice(0, at);
}

/** True for a canonical name, or `name@relay` with a canonical name and a relay name. */
export function isHandle(s: string): boolean {
  const at = s.indexOf('@');
  if (at < 0) return isCanonicalName(s);
  return isCanonicalName(s.slice(0, at)) && isRelayName(s.slice(at + 1));
}
