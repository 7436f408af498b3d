import type { ErrorCode } from '@komrade/protocol';

/**
 * What the CLI tells a person for each error code: one line, saying what happened and,
 * where there is one, what to do. `{operator}` is replaced by the operator address in use.
 * Every registered code has a line (the type requires it; a unit test checks it too).
 */
export const CLI_MESSAGES: Readonly<Record<ErrorCode, string>> = Object.freeze({
  ERR_WIRE_TRUNCATED: 'The relay received a truncated message; try again.',
  ERR_WIRE_MAGIC:
    'The relay did not recognise the message format (is {operator} a Komrade operator?).',
  ERR_WIRE_VERSION:
    'The relay speaks another protocol version; update komrade or use another relay.',
  ERR_WIRE_TYPE: 'A message of an unexpected type was refused.',
  ERR_WIRE_LENGTH: 'A field is too long or too short (a contact note is at most 280 bytes).',
  ERR_WIRE_TRAILING: 'The relay refused a malformed message.',
  ERR_WIRE_FIELD: 'A message field had an invalid value.',
  ERR_WIRE_PADDING: 'A message had invalid padding.',
  ERR_HTTP_TOO_LARGE: 'The request is larger than the relay accepts.',
  ERR_HTTP_CONTENT_TYPE:
    'The operator refused the request format (is {operator} a Komrade operator?).',
  ERR_HTTP_NOT_FOUND:
    'The operator at {operator} does not offer this (is it a Komrade operator, and up to date?).',
  ERR_HTTP_BAD_REQUEST: 'The operator refused a malformed request.',
  ERR_RATE_LIMITED: 'The relay is rate limiting; wait a little and try again.',
  ERR_POSTAGE_INSUFFICIENT: 'The relay raised its postage difficulty while we stamped; try again.',
  ERR_EXPIRY_INVALID: 'The message expiry was refused; check your clock.',
  ERR_RELAY_UNKNOWN:
    'That relay is neither this one nor one of its peers; check the relay name after the @.',
  ERR_MAILBOX_AUTH: 'The relay did not accept the mailbox credential.',
  ERR_MAILBOX_CONFLICT: 'A mailbox id collided on the relay; try again.',
  ERR_SERVICE_UNAVAILABLE: 'The relay is busy or partly down; try again shortly.',
  ERR_SERVICE_TIMEOUT: 'The relay took too long to answer; try again.',
  ERR_SERVICE_INTERNAL: 'The relay had an internal error; try again later.',
  ERR_CRYPTO_INIT: 'The cryptography library failed to start.',
  ERR_CRYPTO_KEY_INVALID: 'A key is malformed.',
  ERR_CRYPTO_DECRYPT: 'Decryption failed: wrong key or tampered data.',
  ERR_CRYPTO_SIGNATURE: 'A signature did not check out.',
  ERR_CRYPTO_FAILED: 'A cryptographic operation failed.',
  ERR_CRYPTO_INPUT: 'A cryptographic operation got invalid input.',
  ERR_SEAL_WRONG_SENDER:
    'A message came from someone other than the contact it claims; it was dropped.',
  ERR_SEAL_WRONG_MAILBOX: 'A message was sealed for another mailbox; it was dropped.',
  ERR_SEAL_REPLAY: 'A message was received twice; the copy was dropped.',
  ERR_SEAL_STALE: 'A message is too old or from the future; check your clock.',
  ERR_SEAL_TOO_LARGE: 'The message is too long (at most about 64 KiB).',
  ERR_CLIENT_UNREACHABLE:
    'Cannot reach the operator at {operator}: is it running (onion addresses need --tor)? Set --operator or KOMRADE_OPERATOR.',
  ERR_CLIENT_PROTOCOL: 'The operator at {operator} answered something unexpected.',
  ERR_NAME_INVALID: 'Names are 3 to 32 characters: letters a-z, digits and underscores.',
  ERR_NAME_RESERVED: 'That name is reserved; choose another.',
  ERR_NAME_TAKEN: 'That name is already registered by someone else; choose another.',
  ERR_NAME_NOT_FOUND: 'Nobody has registered that name.',
  ERR_NAME_PROOF:
    'The directory answered an entry that is not properly signed; do not trust this relay.',
  ERR_NAME_STALE: 'The relay refused the registration time; check your clock.',
  ERR_KEYSTORE_MISSING:
    'No account here yet: run `komrade register <name>` first (or `komrade import <file>`).',
  ERR_KEYSTORE_EXISTS: 'There is already an account (or file) there; nothing was overwritten.',
  ERR_KEYSTORE_PASSPHRASE:
    'Wrong passphrase (or the keystore file was altered); nothing was changed.',
  ERR_KEYSTORE_NO_PASSPHRASE:
    'No passphrase given: set KOMRADE_PASSPHRASE, or type it (twice, the same) at the prompt.',
  ERR_KEYSTORE_WEAK_PASSPHRASE: 'Choose a passphrase of at least 8 characters.',
  ERR_KEYSTORE_CORRUPT:
    'The keystore file is damaged; the previous version is in keystore.kmk.bak.',
  ERR_KEYSTORE_VERSION: 'The keystore was written by a newer komrade; update komrade.',
  ERR_KEYSTORE_LOCKED: 'Another komrade command is using this account; try again when it ends.',
  ERR_KEYSTORE_IO:
    'Cannot read or write the keystore file; check the --home directory and its permissions.',
  ERR_KEYSTORE_NAMED: 'This account already has a name; one account holds one name.',
  ERR_KEYSTORE_UNNAMED: 'Register a name first: `komrade register <name>`.',
  ERR_CONTACT_UNKNOWN: 'No contact by that name; `komrade meet <name>` asks them.',
  ERR_CONTACT_EXISTS: 'You are already contacts.',
  ERR_CONTACT_PENDING: 'They have not accepted your request yet; try again later.',
  ERR_CONTACT_NO_REQUEST: 'No pending request from that name; see `komrade requests`.',
  ERR_CONTACT_SELF: 'You cannot meet yourself.',
  ERR_CONTACT_KEY_CHANGED: 'The key of that komrade is not the one the directory holds: refusing.',
  ERR_VERIFY_TIMEOUT:
    'The other komrade did not finish the check in time: both must run it at once.',
  ERR_VERIFY_MISMATCH:
    'SAFETY NUMBERS DIFFER: someone may be intercepting; do not trust this contact yet.',
  ERR_PEER_AUTH:
    'The other relay could not prove its identity; its operators must check the peering.',
  ERR_PEER_STALE: 'The clocks of the two relays disagree; try again later.',
  ERR_PEER_REPLAY: 'The other relay saw this request before; try again.',
  ERR_PEER_QUOTA: 'The other relay is busy with this relay; try again later.',
  ERR_PEER_UNREACHABLE: 'Your relay cannot reach the other relay now; try again later.',
  ERR_COLLECTIVE_TAKEN: 'A collective with that name already exists; choose another name.',
  ERR_COLLECTIVE_NOT_FOUND: 'No collective has that name on this relay.',
  ERR_COLLECTIVE_NOT_MEMBER: 'Only current members of the collective can do that.',
  ERR_COLLECTIVE_MEMBER: 'That komrade is already a member of the collective.',
  ERR_COLLECTIVE_NOT_CANDIDATE:
    'That komrade has not asked to join: they run `komrade join <collective>` first.',
  ERR_COLLECTIVE_FULL:
    'The collective has reached a size limit (members, candidates or proposals).',
  ERR_COLLECTIVE_POLICY:
    'Invalid quorum policy (use fixed:N, fraction:NUM/DEN[:MIN] or steps:UPTO=Q,...[,n/DIV+ADD]), or it is the current one.',
  ERR_COLLECTIVE_REPLAY: 'The relay had already seen that request; run the command again.',
  ERR_COLLECTIVE_NO_KEY:
    'You are a member, but the group key has not reached you yet; try again a little later.',
  ERR_VOUCH_DUPLICATE: 'You already did that: one vouch (or vote) per member.',
  ERR_POST_TOO_LONG: 'A post has at most 1000 characters.',
  ERR_POST_TOO_LARGE: 'The post is too large: it may carry one image of up to about 60 KB.',
  ERR_POST_IMAGE_TYPE: 'Images must be PNG, JPEG, GIF or WebP files.',
} satisfies Record<ErrorCode, string>);

/**
 * Exit codes (documented in docs/cli.md):
 * 0 success; 1 unexpected failure (a bug); 2 usage error; 3 refused (bad input, taken
 * name, unknown contact...); 4 the account cannot be opened (missing, passphrase, damaged, locked);
 * 5 relay unreachable or unavailable (retry later); 6 safety numbers differ.
 */
export const EXIT = Object.freeze({
  ok: 0,
  bug: 1,
  usage: 2,
  refused: 3,
  keystore: 4,
  unavailable: 5,
  mismatch: 6,
});

const UNAVAILABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_CLIENT_UNREACHABLE',
  'ERR_PEER_STALE',
  'ERR_PEER_QUOTA',
  'ERR_PEER_UNREACHABLE',
  'ERR_CLIENT_PROTOCOL',
  'ERR_SERVICE_UNAVAILABLE',
  'ERR_SERVICE_TIMEOUT',
  'ERR_SERVICE_INTERNAL',
  'ERR_RATE_LIMITED',
  'ERR_VERIFY_TIMEOUT',
  'ERR_COLLECTIVE_NO_KEY',
]);

/** The account cannot be opened or saved (other ERR_KEYSTORE_* codes are refusals). */
const KEYSTORE_TROUBLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_KEYSTORE_MISSING',
  'ERR_KEYSTORE_PASSPHRASE',
  'ERR_KEYSTORE_NO_PASSPHRASE',
  'ERR_KEYSTORE_CORRUPT',
  'ERR_KEYSTORE_VERSION',
  'ERR_KEYSTORE_LOCKED',
  'ERR_KEYSTORE_IO',
]);

/** The process exit code for a failure with `code`. */
export function exitCodeFor(code: ErrorCode): number {
  if (code === 'ERR_VERIFY_MISMATCH') return EXIT.mismatch;
  if (code === 'ERR_CRYPTO_INIT') return EXIT.bug;
  if (KEYSTORE_TROUBLE.has(code)) return EXIT.keystore;
  if (UNAVAILABLE.has(code)) return EXIT.unavailable;
  return EXIT.refused;
}

/** The line shown for `code`. */
export function messageFor(code: ErrorCode, ctx: { readonly operator?: string } = {}): string {
  return CLI_MESSAGES[code].replaceAll('{operator}', ctx.operator ?? 'the operator');
}
