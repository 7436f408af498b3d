import { errorInfo, isErrorCode, KomradeError } from '@komrade/protocol';
import type { EngineError } from './api.js';

/**
 * What the web client tells a person for the codes a person meets in its screens; every
 * other code shows the registry's public message.
 */
const WEB_MESSAGES: Readonly<Record<string, string>> = {
  ERR_CLIENT_UNREACHABLE: 'Cannot reach the relay right now. Check your connection and try again.',
  ERR_NAME_INVALID: 'Names are 3 to 32 characters: letters a-z, digits and underscores.',
  ERR_NAME_RESERVED: 'That name is reserved; choose another.',
  ERR_NAME_TAKEN: 'That name is already registered by someone else; choose another.',
  ERR_NAME_NOT_FOUND: 'Nobody has registered that name.',
  ERR_RELAY_UNKNOWN:
    'That relay is neither this one nor one of its peers; check the relay name after the @.',
  ERR_KEYSTORE_MISSING: 'There is no account in this browser yet.',
  ERR_KEYSTORE_EXISTS:
    'This browser already holds an account; tick "replace" to overwrite it (export it first).',
  ERR_KEYSTORE_PASSPHRASE: 'Wrong passphrase (or the file was altered); nothing was changed.',
  ERR_KEYSTORE_WEAK_PASSPHRASE: 'Choose a passphrase of at least 8 characters.',
  ERR_KEYSTORE_CORRUPT: 'The stored account is damaged; import your exported account file.',
  ERR_KEYSTORE_VERSION: 'This account file was written by a newer Komrade.',
  ERR_KEYSTORE_LOCKED:
    'Komrade is already open with this account in another tab or window; use that one.',
  ERR_KEYSTORE_NAMED: 'This account already has a name; one account holds one name.',
  ERR_KEYSTORE_UNNAMED: 'Register a name first.',
  ERR_CONTACT_UNKNOWN: 'No contact by that name; meet them first.',
  ERR_CONTACT_EXISTS: 'You are already contacts.',
  ERR_CONTACT_PENDING: 'They have not accepted your request yet.',
  ERR_CONTACT_NO_REQUEST: 'No pending request from that name.',
  ERR_CONTACT_SELF: 'You cannot meet yourself.',
  ERR_CONTACT_KEY_CHANGED:
    'The key of that komrade is not the one the directory holds: refusing to continue.',
  ERR_VERIFY_TIMEOUT:
    'The other komrade did not finish the check in time: both must run it at once.',
  ERR_VERIFY_MISMATCH:
    'SAFETY NUMBERS DIFFER: someone may be intercepting. Do not trust this contact yet.',
  ERR_SEAL_TOO_LARGE: 'The message is too long.',
};

/** Any thrown value as the page shows it; internals never cross to the page. */
export function toEngineError(e: unknown): EngineError {
  if (e instanceof KomradeError) return { code: e.code, message: messageFor(e.code) };
  if (e instanceof DOMException && e.name === 'QuotaExceededError')
    return { code: 'ERR_WEB_STORAGE', message: 'This browser refused to store more data.' };
  return {
    code: 'ERR_WEB_INTERNAL',
    message: `Something went wrong in the web client: ${e instanceof Error ? e.message : String(e)}`,
  };
}

export function messageFor(code: string): string {
  return WEB_MESSAGES[code] ?? (isErrorCode(code) ? errorInfo(code).message : code);
}
