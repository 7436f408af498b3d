import { resolve } from 'node:path';
import { checkRegistrable, KomradeError } from '@komrade/protocol';
import { newAccount } from '../../sdk/account.js';
import { Keystore, withKeystoreLock } from '../../sdk/keystore-file.js';
import { parseHandle } from '../../sdk/handle.js';
import { Komrade, parseName } from '../../sdk/komrade.js';
import { askNewPassphrase, askPassphrase } from '../passphrase.js';
import { entryJson, fingerprintOf, groups, type Output } from '../output.js';
import type { CliSession } from '../session.js';

/**
 * `register <name>`: makes the account on first use (identity key pair and introduction
 * mailbox, made here, never sent anywhere but as public keys) and registers the name.
 *
 * Nothing is written when the registration is refused (a taken, reserved or malformed
 * name, an unreachable operator). A new account's keystore is written once the name is
 * registered, or, when the outcome is unknown (the relay did not answer after the
 * registration left), so that a retry re-registers with the same key (idempotent).
 */
export async function register(s: CliSession, rawName: string): Promise<Output> {
  const name = parseName(rawName);
  const allowed = checkRegistrable(name);
  if (!allowed.ok) throw new KomradeError(allowed.code);
  return withKeystoreLock(s.home, async () => {
    const existing = await Keystore.exists(s.home);
    let ks: Keystore | undefined;
    let passphrase: string;
    if (existing) {
      ks = await s.unlock();
      passphrase = '';
    } else {
      passphrase = await askNewPassphrase(s.io);
      await s.crypto();
    }
    const client = s.client(ks?.account);
    const info = await s.progress.step('Contacting the operator', () => client.relayInfo());
    const account = ks?.account ?? newAccount(info.relay, Date.now());
    const wasName = account.name;
    const komrade = new Komrade({
      client,
      account,
      persist: async () => {
        await ks?.save();
      },
    });
    let submitted = false;
    try {
      await s.progress.step('Registering', () => komrade.register(name, () => (submitted = true)));
    } catch (e) {
      if (!ks && submitted && e instanceof KomradeError && e.retryable) {
        await s.progress.step('Saving your new keys', () =>
          Keystore.create(s.home, passphrase, account),
        );
      }
      throw e;
    }
    if (!ks)
      await s.progress.step('Encrypting keystore', () =>
        Keystore.create(s.home, passphrase, account),
      );
    else if (wasName !== account.name) await ks.save();
    const fp = fingerprintOf(account.identity.publicKey);
    return {
      human: [
        wasName === name
          ? `@${name} is registered to this account (nothing changed).`
          : `Registered @${name} on relay ${account.relay}.`,
        `Your fingerprint: ${groups(fp)}`,
        `Others can now reach you with: komrade meet ${name}`,
      ],
      json: {
        name,
        relay: account.relay,
        fingerprint: groups(fp),
        home: s.home,
        created: !existing,
      },
    };
  });
}

/**
 * `whois <name>` or `whois <name>@<relay>`: the verified directory entry; needs no
 * account. A name on another relay is asked through the home relay (federation).
 */
export async function whois(s: CliSession, rawName: string): Promise<Output> {
  // '' as home: any relay given explicitly is asked for by name, the home relay included
  const remote = rawName.lastIndexOf('@') > 0 ? parseHandle(rawName, '') : undefined;
  const name = remote?.name ?? parseName(rawName);
  await s.crypto();
  const entry = await s.progress.step('Looking up', () =>
    s.client().lookupName(name, remote?.relay),
  );
  const j = entryJson(entry);
  return {
    human: [
      `@${entry.name}`,
      `  fingerprint: ${String(j['fingerprint'])}`,
      `  relay:       ${entry.intro.relay}`,
      `  registered:  ${String(j['registeredAt'])}`,
    ],
    json: j,
  };
}

/** `export <file>`: the whole account, sealed under the same passphrase, to one file. */
export async function exportAccount(s: CliSession, file: string): Promise<Output> {
  const path = resolve(file);
  return withKeystoreLock(s.home, async () => {
    const passphrase = await askPassphrase(s.io);
    await s.crypto();
    const ks = await s.progress.step('Unlocking keystore', () => Keystore.open(s.home, passphrase));
    await s.progress.step('Encrypting export', () => ks.exportTo(path, passphrase));
    return {
      human: [
        `Account${ks.account.name ? ` @${ks.account.name}` : ''} exported to ${path}.`,
        'It holds your private keys, encrypted with your passphrase: keep it safe.',
        'Use it on one device at a time: both would fetch, and delete, the same mail.',
      ],
      json: { file: path, name: ks.account.name ?? null },
    };
  });
}

/** `import <file>`: restores an exported account into --home. */
export async function importAccount(
  s: CliSession,
  file: string,
  o: { readonly force?: boolean },
): Promise<Output> {
  const path = resolve(file);
  return withKeystoreLock(s.home, async () => {
    const passphrase = await askPassphrase(s.io);
    await s.crypto();
    const ks = await s.progress.step('Decrypting and saving', () =>
      Keystore.importFrom(s.home, path, passphrase, { replace: o.force ?? false }),
    );
    const a = ks.account;
    return {
      human: [
        `Imported${a.name ? ` @${a.name}` : ' an unnamed account'} into ${s.home}`,
        `(${a.contacts.length} contacts, ${a.requests.length} pending requests).`,
      ],
      json: { name: a.name ?? null, home: s.home, contacts: a.contacts.length },
    };
  });
}
