import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, initCrypto } from '@komrade/protocol';
import { formatRelayKey, parseRelayKey } from '@komrade/service-runtime';

/**
 * The relay key (federation, SPEC.md section 19.1): the environment's KOMRADE_RELAY_KEY
 * if set, else the one kept in `<stateDir>/relay-key`, made once (a Themis EC key pair,
 * base64 of private then public key, mode 0600) so that the relay keeps its identity, and
 * its peers' configured fingerprint stays right, across restarts.
 */
export async function keptRelayKey(stateDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const given = env['KOMRADE_RELAY_KEY'];
  if (given !== undefined && given !== '') return given;
  const file = join(stateDir, 'relay-key');
  await initCrypto();
  const fresh = formatRelayKey(generateKeyPair());
  try {
    await writeFile(file, `${fresh}\n`, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const kept = (await readFile(file, 'utf8')).trim();
  if (parseRelayKey(kept) === undefined)
    throw new Error(`${file} must hold a relay key (base64 of private then public key)`);
  return kept;
}
