import { KomradeError } from '@komrade/protocol';
import { safeText } from '../io.js';
import { askVerifyPhrase } from '../passphrase.js';
import { fingerprintOf, groups, iso, when, type Output } from '../output.js';
import type { CliSession } from '../session.js';

/** `meet <name>`: sends a contact request (or accepts theirs, if they asked first). */
export function meet(s: CliSession, name: string, o: { readonly note?: string }): Promise<Output> {
  return s.withAccount(async (k) => {
    const r = await s.progress.step(`Sending a contact request`, () => k.meet(name, o.note ?? ''));
    const c = r.contact;
    return {
      human: r.acceptedTheirs
        ? [`@${c.name} had already asked to meet you: accepted. You are now contacts.`]
        : [
            `Contact request sent to @${c.name}.`,
            `Once they accept (komrade accept ${k.account.name ?? ''}), \`komrade send ${c.name} ...\` works.`,
          ],
      json: { name: c.name, state: c.state, acceptedTheirs: r.acceptedTheirs },
    };
  });
}

/** `requests`: fetches the introduction mailbox and lists pending contact requests. */
export function requests(s: CliSession): Promise<Output> {
  return s.withAccount(async (k) => {
    const report = await s.progress.step('Fetching requests', () => k.syncIntro());
    const list = k.account.requests;
    const human =
      list.length === 0
        ? ['No pending contact requests.']
        : [
            ...list.flatMap((r) => [
              `@${r.name}  (received ${when(r.receivedAtMs)})`,
              ...(r.note ? [`  "${safeText(r.note)}"`] : []),
              `  fingerprint: ${groups(fingerprintOf(r.identityKey))}`,
            ]),
            'Accept one with: komrade accept <name>',
          ];
    if (report.accepted.length > 0)
      human.push(
        `Now contacts (they asked you too): ${report.accepted.map((n) => `@${n}`).join(', ')}`,
      );
    if (report.rejected.length > 0)
      human.push(`${report.rejected.length} invalid request(s) dropped.`);
    return {
      human,
      json: {
        requests: list.map((r) => ({
          name: r.name,
          note: r.note,
          fingerprint: groups(fingerprintOf(r.identityKey)),
          receivedAt: iso(r.receivedAtMs),
        })),
        accepted: report.accepted,
        rejected: report.rejected.length,
      },
    };
  });
}

/** `accept <name>`: accepts a pending request; from then on both can write. */
export function accept(s: CliSession, name: string): Promise<Output> {
  return s.withAccount(async (k) => {
    const c = await s.progress.step('Accepting', () => k.accept(name));
    return {
      human: [`You and @${c.name} are now contacts: komrade send ${c.name} <text>`],
      json: { name: c.name, state: c.state },
    };
  });
}

/** `contacts`: lists contacts (after fetching, so accepted requests show up). */
export function contacts(s: CliSession, o: { readonly fetch: boolean }): Promise<Output> {
  return s.withAccount(async (k) => {
    if (o.fetch) await s.progress.step('Fetching', () => k.syncAll());
    const list = [...k.account.contacts].sort((a, b) => a.name.localeCompare(b.name));
    const human =
      list.length === 0
        ? ['No contacts yet: komrade meet <name>']
        : list.map(
            (c) =>
              `@${c.name}  ${c.state === 'established' ? 'contact' : 'waiting for their accept'}${c.verified ? '  (safety number verified)' : ''}`,
          );
    if (k.account.requests.length > 0)
      human.push(`${k.account.requests.length} pending request(s): komrade requests`);
    return {
      human,
      json: list.map((c) => ({
        name: c.name,
        state: c.state,
        verified: c.verified,
        since: iso(c.sinceMs),
        fingerprint: groups(fingerprintOf(c.identityKey)),
      })),
    };
  });
}

/**
 * `verify <name>`: shows the safety number; with --interactive, runs the Secure
 * Comparator check with the contact (both must run it at the same time).
 */
export function verify(
  s: CliSession,
  name: string,
  o: { readonly interactive?: boolean; readonly timeout: number },
): Promise<Output> {
  return s.withAccount(async (k) => {
    const c = k.contact(name);
    const sn = k.safetyNumber(name);
    const rows = [0, 4, 8].map((i) => `  ${sn.groups.slice(i, i + 4).join(' ')}`);
    if (!o.interactive) {
      return {
        human: [
          `Safety number with @${c.name} (the same on both devices):`,
          ...rows,
          `  yours:   ${groups(sn.mine)}`,
          `  @${c.name}: ${groups(sn.theirs)}`,
          c.verified
            ? 'Already verified interactively.'
            : `Compare it in person or over a channel you trust, or agree a phrase and both run: komrade verify ${c.name} --interactive`,
        ],
        json: {
          name: c.name,
          safetyNumber: groups(sn.groups),
          mine: groups(sn.mine),
          theirs: groups(sn.theirs),
          verified: c.verified,
        },
      };
    }
    const phrase = await askVerifyPhrase(s.io, c.name);
    const equal = await s.progress.step(
      `Waiting for @${c.name} to run: komrade verify ${k.account.name ?? ''} --interactive`,
      () => k.verifyInteractive(name, phrase, { timeoutMs: o.timeout * 1000 }),
    );
    if (!equal) throw new KomradeError('ERR_VERIFY_MISMATCH');
    return {
      human: [`Safety numbers match: @${c.name} holds the keys you hold. Marked verified.`],
      json: { name: c.name, match: true, verified: true },
    };
  });
}
