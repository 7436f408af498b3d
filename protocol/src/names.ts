import { fail, ok, type Result } from './result.js';

/** Shortest and longest komrade name, in characters (all ASCII, so also bytes). */
export const NAME_MIN = 3;
export const NAME_MAX = 32;

const CANONICAL_RE = /^[a-z0-9_]{3,32}$/;
/**
 * Accepted spellings before case folding. Checked on the raw input, not after lower-casing:
 * `toLowerCase()` maps some non-ASCII letters onto ASCII (the Kelvin sign U+212A becomes
 * "k"), which would let look-alike spellings fold onto a registered name.
 */
const INPUT_RE = /^[A-Za-z0-9_]{3,32}$/;

/**
 * Names nobody may register: they would pass for the relay, its staff or the software
 * itself in a contact request. Lookups of these answer "not found" like any free name.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'abuse',
  'admin',
  'administrator',
  'anonymous',
  'api',
  'collective',
  'collectives',
  'comrade',
  'directory',
  'everyone',
  'help',
  'info',
  'komrade',
  'komrades',
  'mod',
  'moderator',
  'noreply',
  'null',
  'official',
  'operator',
  'postmaster',
  'purge',
  'relay',
  'root',
  'security',
  'sorter',
  'staff',
  'support',
  'sysadmin',
  'system',
  'undefined',
  'vouch',
  'webmaster',
  'world',
]);

/** True when `s` is already a canonical name: 3-32 of [a-z0-9_]. Says nothing of reservation. */
export function isCanonicalName(s: string): boolean {
  return CANONICAL_RE.test(s);
}

/**
 * Turns what a person typed into the canonical name: an optional leading "@" is dropped,
 * the rest must be 3-32 ASCII letters, digits or underscores, and is case-folded.
 * `ERR_NAME_INVALID` otherwise. Reserved names are still returned (see checkRegistrable).
 */
export function normalizeName(input: string): Result<string> {
  const raw = input.startsWith('@') ? input.slice(1) : input;
  if (!INPUT_RE.test(raw)) return fail('ERR_NAME_INVALID');
  return ok(raw.toLowerCase());
}

/** Whether a canonical name may be registered: `ERR_NAME_INVALID` or `ERR_NAME_RESERVED` if not. */
export function checkRegistrable(name: string): Result<string> {
  if (!isCanonicalName(name)) return fail('ERR_NAME_INVALID');
  if (RESERVED_NAMES.has(name)) return fail('ERR_NAME_RESERVED');
  return ok(name);
}
