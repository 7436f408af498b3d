import {
  bytesEqual,
  CollectiveOutcome,
  formatPolicy,
  KomradeError,
  parsePolicy,
  toHex,
  type CollectiveView,
  type PublicEntry,
  type QuorumPolicy,
} from '@komrade/protocol';
import type { Komrade } from '../../sdk/komrade.js';
import { Feed } from '../../sdk/feed.js';
import { parseHandle } from '../../sdk/handle.js';
import { fingerprintOf, groups, iso, type Output } from '../output.js';
import type { CliSession } from '../session.js';

/** The default policy: 1 vouch up to 10 members, then ceil(n/10)+1. */
export const DEFAULT_POLICY = 'steps:10=1,n/10+1';

/** Parses --quorum; ERR_COLLECTIVE_POLICY with the accepted forms otherwise. */
export function quorumOption(text: string): QuorumPolicy {
  const p = parsePolicy(text.trim());
  if (!p) throw new KomradeError('ERR_COLLECTIVE_POLICY');
  return p;
}

function feedOf(k: Komrade, save: () => Promise<void>): Feed {
  return new Feed({ komrade: k, persist: save });
}

/** A member or candidate as a person reads it: a name this device knows, else a fingerprint. */
function who(k: Komrade, e: PublicEntry): { label: string; name?: string } {
  if (bytesEqual(e.identityKey, k.account.identity.publicKey) && k.account.name)
    return { label: `@${k.account.name} (you)`, name: k.account.name };
  const c = k.account.contacts.find((x) => bytesEqual(x.identityKey, e.identityKey));
  if (c) return { label: `@${c.name}`, name: c.name };
  return { label: `fingerprint ${fingerprintOf(e.identityKey).slice(0, 2).join(' ')}…` };
}

function entryJson(k: Komrade, e: PublicEntry): Record<string, unknown> {
  const w = who(k, e);
  return {
    ...(w.name ? { name: w.name } : {}),
    identityKey: toHex(e.identityKey),
    fingerprint: groups(fingerprintOf(e.identityKey)),
    epoch: e.epoch,
    vouches: e.vouches,
  };
}

/** `handle`: the collective as named here (`portland`, or `portland@alpha` on a peer relay). */
function viewOutput(k: Komrade, v: CollectiveView, handle: string): Output {
  const mine = (e: PublicEntry): boolean => bytesEqual(e.identityKey, k.account.identity.publicKey);
  const you = v.members.some(mine) ? 'member' : v.candidates.some(mine) ? 'candidate' : null;
  const founder = (e: PublicEntry): string =>
    bytesEqual(e.identityKey, v.founderKey) ? ' (founder)' : '';
  const human = [
    `@${handle}: ${v.members.length} member(s), quorum now ${v.quorum} (policy ${formatPolicy(v.policy)})`,
    'Members (vouches that admitted them):',
    ...v.members.map((e) => `  ${who(k, e).label}${founder(e)}  ${e.vouches}`),
  ];
  if (v.candidates.length > 0)
    human.push(
      `Candidates (vouches so far, ${v.quorum} needed):`,
      ...v.candidates.map((e) => `  ${who(k, e).label}  ${e.vouches}`),
    );
  for (const p of v.proposals)
    human.push(`Proposed policy ${formatPolicy(p.policy)}: ${p.votes} of ${v.quorum} vote(s)`);
  if (you === 'member') human.push('You are a member.');
  else if (you === 'candidate') human.push('You are a candidate.');
  return {
    human,
    json: {
      name: handle,
      policy: formatPolicy(v.policy),
      quorum: v.quorum,
      created: iso(v.createdMs),
      members: v.members.map((e) => entryJson(k, e)),
      candidates: v.candidates.map((e) => entryJson(k, e)),
      proposals: v.proposals.map((p) => ({ policy: formatPolicy(p.policy), votes: p.votes })),
      you,
    },
  };
}

/** `collective create <name> [--quorum ...]`: founds a collective; you are its first member. */
export function collectiveCreate(
  s: CliSession,
  name: string,
  o: { readonly quorum?: string },
): Promise<Output> {
  const policy = quorumOption(o.quorum ?? DEFAULT_POLICY);
  return s.withAccount(async (k, ks) => {
    const feed = feedOf(k, () => ks.save());
    const r = await s.progress.step('Founding the collective', () =>
      feed.collectives.create(name, policy),
    );
    const n = feed.collectives.collective(name).handle;
    return {
      human: [
        `Founded @${n} with quorum policy ${formatPolicy(policy)}; you are its first member.`,
        `Komrades ask to join with \`komrade join ${n}\`; members admit them with \`komrade vouch ${n} <name>\`.`,
      ],
      json: { name: n, policy: formatPolicy(policy), quorum: r.quorum, members: r.members },
    };
  });
}

/** `collective show <name>`: members and candidates with vouch counts, and the quorum now. */
export function collectiveShow(s: CliSession, name: string): Promise<Output> {
  return s.withAccount(async (k, ks) => {
    const feed = feedOf(k, () => ks.save());
    // picks up a key grant or an admission first, so "you" is current
    if (feed.collectives.membership(name))
      await s.progress.step('Fetching', () => feed.collectives.sync());
    const v = await s.progress.step('Asking the relay', () => feed.collectives.show(name));
    return viewOutput(k, v, feed.collectives.collective(name).handle);
  });
}

/** `collective vote <name> <policy>`: votes to replace the quorum policy. */
export function collectiveVote(s: CliSession, name: string, policyText: string): Promise<Output> {
  const policy = quorumOption(policyText);
  return s.withAccount(async (k, ks) => {
    const feed = feedOf(k, () => ks.save());
    const r = await s.progress.step('Voting', () => feed.collectives.vote(name, policy));
    const n = feed.collectives.collective(name).handle;
    const changed = r.outcome === CollectiveOutcome.PolicyChanged;
    return {
      human: [
        changed
          ? `@${n} now uses quorum policy ${formatPolicy(policy)} (quorum now ${r.quorum}).`
          : `Vote counted: ${r.vouches} of ${r.quorum} for ${formatPolicy(policy)} in @${n}.`,
      ],
      json: { name: n, policy: formatPolicy(policy), votes: r.vouches, quorum: r.quorum, changed },
    };
  });
}

/** `join <collective>`: announces your candidacy. */
export function join(s: CliSession, collective: string): Promise<Output> {
  return s.withAccount(async (k, ks) => {
    const feed = feedOf(k, () => ks.save());
    const r = await s.progress.step('Asking to join', () => feed.collectives.join(collective));
    const h = feed.collectives.collective(collective);
    const n = h.handle;
    // members of a peer's collective name you with your relay
    const me =
      k.account.name === undefined
        ? '<your name>'
        : h.remote === undefined
          ? k.account.name
          : `${k.account.name}@${k.account.relay}`;
    return {
      human: [
        `Asked to join @${n}: ${r.vouches} of ${r.quorum} vouch(es) so far (quorum now, with ${r.members} member(s)).`,
        `Members admit you with: komrade vouch ${n} ${me}`,
      ],
      json: { name: n, vouches: r.vouches, quorum: r.quorum, members: r.members },
    };
  });
}

/** `vouch <collective> <name>`: vouches for a candidate; at quorum they are admitted. */
export function vouch(s: CliSession, collective: string, name: string): Promise<Output> {
  return s.withAccount(async (k, ks) => {
    const feed = feedOf(k, () => ks.save());
    const r = await s.progress.step('Vouching', () => feed.collectives.vouch(collective, name));
    const c = feed.collectives.collective(collective).handle;
    const n = parseHandle(name, k.account.relay).handle;
    const admitted = r.outcome === CollectiveOutcome.Admitted;
    const pending = feed.collectives.membership(c)?.owedGrants.length ?? 0;
    return {
      human: admitted
        ? [
            `@${n} is admitted to @${c} (${r.vouches} vouch(es), quorum was met); @${c} now has ${r.members} members.`,
            pending === 0
              ? 'The group key was sealed to their collective mailbox.'
              : 'The group key will be sent once you hold it (any komrade command that fetches).',
          ]
        : [`Vouched for @${n} in @${c}: ${r.vouches} of ${r.quorum} vouch(es).`],
      json: {
        collective: c,
        name: n,
        vouches: r.vouches,
        quorum: r.quorum,
        admitted,
        members: r.members,
        keyHandedOver: admitted && pending === 0,
      },
    };
  });
}

/** `leave <collective>`: ends your membership or candidacy. */
export function leave(s: CliSession, collective: string): Promise<Output> {
  return s.withAccount(async (k, ks) => {
    const feed = feedOf(k, () => ks.save());
    const n = feed.collectives.collective(collective).handle;
    const r = await s.progress.step('Leaving', () => feed.collectives.leave(collective));
    return {
      human: [`You left @${n}; it has ${r.members} member(s), quorum now ${r.quorum}.`],
      json: { name: n, left: true, members: r.members, quorum: r.quorum },
    };
  });
}

/** `vouches <name>`: how many vouches a komrade has received, over every collective. */
export function vouches(s: CliSession, name: string): Promise<Output> {
  return s.withAccount(async (k, ks) => {
    const feed = feedOf(k, () => ks.save());
    const h = parseHandle(name, k.account.relay);
    const entry = await s.progress.step('Looking up', () => k.whois(name));
    // counts are kept by the relay a komrade is registered on
    const n = await feed.collectives.vouchCount(entry.identityKey, h.relay);
    return {
      human: [
        `@${h.handle} has received ${n} vouch(es) over every collective of ${h.remote ?? 'this relay'}.`,
      ],
      json: { name: h.handle, vouches: n },
    };
  });
}
