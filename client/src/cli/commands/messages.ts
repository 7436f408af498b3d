import { safeText } from '../io.js';
import { iso, when, type Output } from '../output.js';
import type { CliSession } from '../session.js';

/** `send <name> <text...>`: a text message to a contact. */
export function send(s: CliSession, name: string, words: readonly string[]): Promise<Output> {
  const text = words.join(' ');
  return s.withAccount(async (k) => {
    const c = k.contact(name);
    await s.progress.step(`Sending to @${c.name}`, () => k.send(name, text));
    return { human: [`Sent to @${c.name}.`], json: { to: c.name, sent: true } };
  });
}

/**
 * `inbox`: fetches every mailbox, decrypts and checks each message, saves them, acks
 * (the relay deletes them), then shows the new messages once and forgets them.
 */
export function inbox(s: CliSession): Promise<Output> {
  return s.withAccount(async (k, ks) => {
    const report = await s.progress.step('Fetching', () => k.syncAll());
    const messages = k.takeInbox();
    if (messages.length > 0) await ks.save();
    const human =
      messages.length === 0
        ? ['No new messages.']
        : messages.map((m) => `[${when(m.sentAtMs)}] @${m.from}: ${safeText(m.text)}`);
    if (report.accepted.length > 0)
      human.push(`Accepted your request: ${report.accepted.map((n) => `@${n}`).join(', ')}`);
    if (k.account.requests.length > 0)
      human.push(`${k.account.requests.length} pending contact request(s): komrade requests`);
    if (report.rejected.length > 0)
      human.push(
        `${report.rejected.length} message(s) refused (not from the contact they were for, or invalid) and deleted.`,
      );
    return {
      human,
      json: {
        messages: messages.map((m) => ({
          from: m.from,
          text: m.text,
          sentAt: iso(m.sentAtMs),
          receivedAt: iso(m.receivedAtMs),
          id: m.id,
        })),
        accepted: report.accepted,
        pendingRequests: k.account.requests.length,
        rejected: report.rejected.length,
        rejectedCodes: report.rejected,
      },
    };
  });
}
