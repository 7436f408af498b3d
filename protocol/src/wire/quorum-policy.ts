import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import type { Writer } from './writer.js';

/** Most rows a step table may have. */
export const MAX_POLICY_STEPS = 16;

/**
 * How many member vouches admit a candidate (and how many member votes change the
 * policy), as a function of the collective's current size n. Chosen by the founder at
 * creation; changed only by a vote reaching the same quorum.
 */
export type QuorumPolicy =
  /** The same number whatever the size. */
  | { readonly kind: 'fixed'; readonly count: number }
  /** ceil(n * num / den), never below `min`. */
  | { readonly kind: 'fraction'; readonly num: number; readonly den: number; readonly min: number }
  /**
   * A step table: the first row with n <= upTo gives the quorum; beyond the last row,
   * ceil(n / div) + add when div > 0, else the last row's quorum.
   */
  | {
      readonly kind: 'steps';
      readonly steps: readonly { readonly upTo: number; readonly quorum: number }[];
      readonly div: number;
      readonly add: number;
    };

const KIND = { fixed: 1, fraction: 2, steps: 3 } as const;
const U16 = 0xffff;
const U32 = 0xffffffff;

function inRange(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

/** Why a policy is not valid, or undefined when it is (the decoder's rules, for encoders). */
export function policyProblem(p: QuorumPolicy): string | undefined {
  switch (p.kind) {
    case 'fixed':
      return inRange(p.count, 1, U16) ? undefined : 'count';
    case 'fraction':
      if (!inRange(p.den, 1, U16) || !inRange(p.num, 1, p.den)) return 'fraction';
      return inRange(p.min, 1, U16) ? undefined : 'min';
    case 'steps': {
      if (p.steps.length < 1 || p.steps.length > MAX_POLICY_STEPS) return 'steps';
      let prev = 0;
      for (const s of p.steps) {
        if (!inRange(s.upTo, prev + 1, U32) || !inRange(s.quorum, 1, U16)) return 'step';
        prev = s.upTo;
      }
      if (!inRange(p.div, 0, U16) || !inRange(p.add, 0, U16)) return 'tail';
      if (p.div === 0 && p.add !== 0) return 'tail';
      return undefined;
    }
  }
}

/*
 * QuorumPolicy, embedded in collective messages:
 * +---------+-------------------------------------------------------------------------+
 * | kind u8 | fields of that kind                                                     |
 * +---------+-------------------------------------------------------------------------+
 * kind 1 fixed:    count u16 (>= 1)
 * kind 2 fraction: num u16 (1..den) | den u16 (>= 1) | min u16 (>= 1)
 * kind 3 steps:    rows u8 (1..16) | rows x (up to u32, strictly increasing | quorum u16 >= 1)
 *                  | div u16 (0: none) | add u16 (0 when div is 0)
 */
export function writePolicy(w: Writer, p: QuorumPolicy): void {
  const problem = policyProblem(p);
  if (problem !== undefined) throw new RangeError(`invalid quorum policy: ${problem}`);
  switch (p.kind) {
    case 'fixed':
      w.u8(KIND.fixed).u16(p.count);
      return;
    case 'fraction':
      w.u8(KIND.fraction).u16(p.num).u16(p.den).u16(p.min);
      return;
    case 'steps':
      w.u8(KIND.steps).u8(p.steps.length);
      for (const s of p.steps) w.u32(s.upTo).u16(s.quorum);
      w.u16(p.div).u16(p.add);
      return;
  }
}

export function readPolicy(r: Reader): QuorumPolicy {
  const kind = r.u8('policy kind');
  let p: QuorumPolicy;
  switch (kind) {
    case KIND.fixed:
      p = { kind: 'fixed', count: r.u16('policy count') };
      break;
    case KIND.fraction:
      p = {
        kind: 'fraction',
        num: r.u16('policy num'),
        den: r.u16('policy den'),
        min: r.u16('policy min'),
      };
      break;
    case KIND.steps: {
      const n = r.u8('policy rows');
      if (n < 1 || n > MAX_POLICY_STEPS) throw new WireError('ERR_WIRE_LENGTH', 'policy rows');
      const steps: { upTo: number; quorum: number }[] = [];
      for (let i = 0; i < n; i++) steps.push({ upTo: r.u32('step'), quorum: r.u16('step') });
      p = { kind: 'steps', steps, div: r.u16('policy div'), add: r.u16('policy add') };
      break;
    }
    default:
      throw new WireError('ERR_WIRE_FIELD', 'policy kind');
  }
  if (policyProblem(p) !== undefined) throw new WireError('ERR_WIRE_FIELD', 'policy');
  return p;
}

/**
 * The quorum for a collective of `size` members: the policy's number, never below 1
 * and never above the size (a collective cannot ask for more vouches than it has
 * members; a collective of one admits with its founder's vouch alone).
 */
export function quorumFor(p: QuorumPolicy, size: number): number {
  const n = Math.max(0, Math.floor(size));
  let raw: number;
  switch (p.kind) {
    case 'fixed':
      raw = p.count;
      break;
    case 'fraction':
      raw = Math.max(p.min, Math.ceil((n * p.num) / p.den));
      break;
    case 'steps': {
      const row = p.steps.find((s) => n <= s.upTo);
      const last = p.steps[p.steps.length - 1];
      if (row) raw = row.quorum;
      else if (p.div > 0) raw = Math.ceil(n / p.div) + p.add;
      else raw = last?.quorum ?? 1;
      break;
    }
  }
  return Math.max(1, Math.min(raw, Math.max(n, 1)));
}

/** Compact text form, also what the CLI's --quorum accepts (see parsePolicy). */
export function formatPolicy(p: QuorumPolicy): string {
  switch (p.kind) {
    case 'fixed':
      return `fixed:${p.count}`;
    case 'fraction':
      return `fraction:${p.num}/${p.den}:${p.min}`;
    case 'steps': {
      const rows = p.steps.map((s) => `${s.upTo}=${s.quorum}`);
      if (p.div > 0) rows.push(`n/${p.div}+${p.add}`);
      return `steps:${rows.join(',')}`;
    }
  }
}

/**
 * Parses `fixed:N`, `fraction:NUM/DEN[:MIN]` (MIN defaults to 1) or
 * `steps:UPTO=Q[,UPTO=Q...][,n/DIV+ADD]`, e.g. `steps:10=1,n/10+1` ("1 vouch up to 10
 * members, then ceil(n/10)+1"). Undefined when the text is not a valid policy.
 */
export function parsePolicy(text: string): QuorumPolicy | undefined {
  const num = (s: string | undefined): number =>
    s !== undefined && /^\d{1,10}$/.test(s) ? Number(s) : NaN;
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const kind = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  let p: QuorumPolicy | undefined;
  if (kind === 'fixed') p = { kind: 'fixed', count: num(rest) };
  else if (kind === 'fraction') {
    const m = /^(\d+)\/(\d+)(?::(\d+))?$/.exec(rest);
    if (!m) return undefined;
    p = { kind: 'fraction', num: num(m[1]), den: num(m[2]), min: m[3] ? num(m[3]) : 1 };
  } else if (kind === 'steps') {
    const parts = rest.split(',');
    const steps: { upTo: number; quorum: number }[] = [];
    let div = 0;
    let add = 0;
    for (const [i, part] of parts.entries()) {
      const tail = /^n\/(\d+)\+(\d+)$/.exec(part);
      if (tail) {
        if (i !== parts.length - 1) return undefined;
        div = num(tail[1]);
        add = num(tail[2]);
        if (div === 0) return undefined;
        continue;
      }
      const row = /^(\d+)=(\d+)$/.exec(part);
      if (!row) return undefined;
      steps.push({ upTo: num(row[1]), quorum: num(row[2]) });
    }
    p = { kind: 'steps', steps, div, add };
  }
  return p && policyProblem(p) === undefined ? p : undefined;
}

/** Two policies are the same rule (same canonical encoding). */
export function samePolicy(a: QuorumPolicy, b: QuorumPolicy): boolean {
  return formatPolicy(a) === formatPolicy(b);
}
