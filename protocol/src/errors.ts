/**
 * The error registry: every error a Komrade part can report, with its HTTP status,
 * whether retrying can help, and a public message that reveals nothing internal.
 * Codes are never renamed or reused; SPEC.md documents each one (a test checks).
 */
export interface ErrorInfo {
  readonly status: number;
  readonly retryable: boolean;
  readonly message: string;
}

const registry = {
  // Wire format
  ERR_WIRE_TRUNCATED: { status: 400, retryable: false, message: 'The message ended early.' },
  ERR_WIRE_MAGIC: { status: 400, retryable: false, message: 'Not a Komrade message.' },
  ERR_WIRE_VERSION: { status: 400, retryable: false, message: 'Unsupported protocol version.' },
  ERR_WIRE_TYPE: { status: 400, retryable: false, message: 'Unexpected message type.' },
  ERR_WIRE_LENGTH: { status: 400, retryable: false, message: 'A length field is out of range.' },
  ERR_WIRE_TRAILING: {
    status: 400,
    retryable: false,
    message: 'Unexpected bytes after the message.',
  },
  ERR_WIRE_FIELD: { status: 400, retryable: false, message: 'A field has an invalid value.' },
  ERR_WIRE_PADDING: { status: 400, retryable: false, message: 'Invalid padding.' },
  // HTTP edge
  ERR_HTTP_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is too large.' },
  ERR_HTTP_CONTENT_TYPE: {
    status: 415,
    retryable: false,
    message: 'Send application/octet-stream.',
  },
  ERR_HTTP_NOT_FOUND: { status: 404, retryable: false, message: 'No such endpoint.' },
  ERR_HTTP_BAD_REQUEST: { status: 400, retryable: false, message: 'The request is malformed.' },
  ERR_RATE_LIMITED: { status: 429, retryable: true, message: 'Too many requests; slow down.' },
  // Mail and mailboxes
  ERR_POSTAGE_INSUFFICIENT: {
    status: 402,
    retryable: true,
    message: 'Postage stamp too weak for the current difficulty.',
  },
  ERR_EXPIRY_INVALID: {
    status: 400,
    retryable: false,
    message: 'Expiry is in the past or beyond the relay maximum.',
  },
  ERR_RELAY_UNKNOWN: {
    status: 400,
    retryable: false,
    message: 'The mailbox belongs to a relay this relay does not serve.',
  },
  ERR_MAILBOX_AUTH: { status: 401, retryable: false, message: 'Mailbox credential rejected.' },
  ERR_MAILBOX_CONFLICT: {
    status: 409,
    retryable: false,
    message: 'That mailbox id cannot be used; pick another.',
  },
  // Infrastructure
  ERR_SERVICE_UNAVAILABLE: {
    status: 503,
    retryable: true,
    message: 'The relay is busy or partly down; try again.',
  },
  ERR_SERVICE_TIMEOUT: {
    status: 504,
    retryable: true,
    message: 'The relay took too long; try again.',
  },
  ERR_SERVICE_INTERNAL: { status: 500, retryable: true, message: 'Internal error.' },
  // Cryptography
  ERR_CRYPTO_INIT: { status: 500, retryable: false, message: 'Cryptography failed to initialise.' },
  ERR_CRYPTO_KEY_INVALID: { status: 400, retryable: false, message: 'Invalid key.' },
  ERR_CRYPTO_DECRYPT: {
    status: 400,
    retryable: false,
    message: 'Decryption failed: wrong key or tampered data.',
  },
  ERR_CRYPTO_SIGNATURE: { status: 400, retryable: false, message: 'Signature check failed.' },
  ERR_CRYPTO_FAILED: {
    status: 500,
    retryable: false,
    message: 'A cryptographic operation failed.',
  },
  ERR_CRYPTO_INPUT: {
    status: 400,
    retryable: false,
    message: 'Invalid input to a cryptographic operation.',
  },
  // Sealed mail, checked by the recipient
  ERR_SEAL_WRONG_SENDER: {
    status: 400,
    retryable: false,
    message: 'The sender is not who this mailbox expects.',
  },
  ERR_SEAL_WRONG_MAILBOX: {
    status: 400,
    retryable: false,
    message: 'The message was sealed for another mailbox.',
  },
  ERR_SEAL_REPLAY: { status: 400, retryable: false, message: 'This message was already received.' },
  ERR_SEAL_STALE: {
    status: 400,
    retryable: false,
    message: 'The message timestamp is too old or in the future.',
  },
  ERR_SEAL_TOO_LARGE: {
    status: 413,
    retryable: false,
    message: 'The content is larger than the biggest envelope.',
  },
  // Client
  ERR_CLIENT_UNREACHABLE: { status: 503, retryable: true, message: 'Cannot reach the operator.' },
  ERR_CLIENT_PROTOCOL: {
    status: 502,
    retryable: false,
    message: 'The operator answered something unexpected.',
  },
  // Directory of names
  ERR_NAME_INVALID: {
    status: 400,
    retryable: false,
    message: 'Names are 3 to 32 characters: letters, digits and underscores.',
  },
  ERR_NAME_RESERVED: { status: 403, retryable: false, message: 'That name is reserved.' },
  ERR_NAME_TAKEN: {
    status: 409,
    retryable: false,
    message: 'That name is already registered to another key.',
  },
  ERR_NAME_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No komrade has registered that name.',
  },
  ERR_NAME_PROOF: {
    status: 400,
    retryable: false,
    message: 'The directory entry is not signed by the key it names.',
  },
  ERR_NAME_STALE: {
    status: 400,
    retryable: false,
    message: 'The registration time is too far from the relay clock.',
  },
  // Keystore (client side)
  ERR_KEYSTORE_MISSING: {
    status: 404,
    retryable: false,
    message: 'No keystore in this home yet; register a name first.',
  },
  ERR_KEYSTORE_EXISTS: {
    status: 409,
    retryable: false,
    message: 'A keystore file already exists there.',
  },
  ERR_KEYSTORE_PASSPHRASE: {
    status: 401,
    retryable: false,
    message: 'Wrong passphrase, or the keystore file was altered.',
  },
  ERR_KEYSTORE_NO_PASSPHRASE: {
    status: 401,
    retryable: false,
    message: 'A passphrase is needed, from KOMRADE_PASSPHRASE or a terminal prompt.',
  },
  ERR_KEYSTORE_WEAK_PASSPHRASE: {
    status: 400,
    retryable: false,
    message: 'Choose a passphrase of at least 8 characters.',
  },
  ERR_KEYSTORE_CORRUPT: {
    status: 400,
    retryable: false,
    message: 'The keystore file is damaged; the previous version is kept as a backup.',
  },
  ERR_KEYSTORE_VERSION: {
    status: 400,
    retryable: false,
    message: 'The keystore was written by a newer version of Komrade.',
  },
  ERR_KEYSTORE_LOCKED: {
    status: 409,
    retryable: true,
    message: 'Another komrade command is using this keystore; try again.',
  },
  ERR_KEYSTORE_IO: {
    status: 500,
    retryable: false,
    message: 'The keystore file cannot be read or written.',
  },
  ERR_KEYSTORE_NAMED: {
    status: 409,
    retryable: false,
    message: 'This account already has a name.',
  },
  ERR_KEYSTORE_UNNAMED: {
    status: 400,
    retryable: false,
    message: 'Register a name before meeting komrades.',
  },
  // Contacts
  ERR_CONTACT_UNKNOWN: { status: 404, retryable: false, message: 'No contact by that name.' },
  ERR_CONTACT_EXISTS: {
    status: 409,
    retryable: false,
    message: 'That komrade is already a contact.',
  },
  ERR_CONTACT_PENDING: {
    status: 409,
    retryable: true,
    message: 'That komrade has not accepted your request yet.',
  },
  ERR_CONTACT_NO_REQUEST: {
    status: 404,
    retryable: false,
    message: 'No pending contact request from that komrade.',
  },
  ERR_CONTACT_SELF: { status: 400, retryable: false, message: 'You cannot meet yourself.' },
  ERR_CONTACT_KEY_CHANGED: {
    status: 409,
    retryable: false,
    message: 'The key of that komrade differs from the one in the directory.',
  },
  // Safety-number checks
  ERR_VERIFY_TIMEOUT: {
    status: 504,
    retryable: true,
    message: 'The other komrade did not finish the check in time.',
  },
  ERR_VERIFY_MISMATCH: {
    status: 409,
    retryable: false,
    message: 'The safety numbers differ: you do not hold the same keys.',
  },
  // Collectives and vouching
  ERR_COLLECTIVE_TAKEN: {
    status: 409,
    retryable: false,
    message: 'A collective with that name already exists.',
  },
  ERR_COLLECTIVE_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No collective has that name.',
  },
  ERR_COLLECTIVE_NOT_MEMBER: {
    status: 403,
    retryable: false,
    message: 'Only a current member of the collective may do this.',
  },
  ERR_COLLECTIVE_MEMBER: {
    status: 409,
    retryable: false,
    message: 'That komrade is already a member of the collective.',
  },
  ERR_COLLECTIVE_NOT_CANDIDATE: {
    status: 404,
    retryable: false,
    message: 'That komrade has not announced a candidacy (or it was withdrawn).',
  },
  ERR_COLLECTIVE_FULL: {
    status: 409,
    retryable: false,
    message: 'The collective has reached a size limit.',
  },
  ERR_COLLECTIVE_POLICY: {
    status: 400,
    retryable: false,
    message: 'The quorum policy is invalid, unchanged, or the vote was for an earlier policy.',
  },
  ERR_COLLECTIVE_REPLAY: {
    status: 409,
    retryable: false,
    message: 'This signed request was already used.',
  },
  ERR_COLLECTIVE_NO_KEY: {
    status: 409,
    retryable: true,
    message: 'The group key of the collective has not reached this member yet.',
  },
  ERR_VOUCH_DUPLICATE: {
    status: 409,
    retryable: false,
    message: 'This member already vouched (or voted) for this.',
  },
  // Posts
  ERR_POST_TOO_LONG: {
    status: 400,
    retryable: false,
    message: 'A post has at most 1000 characters.',
  },
  ERR_POST_TOO_LARGE: {
    status: 413,
    retryable: false,
    message: 'The post with its image is larger than the biggest envelope.',
  },
  ERR_POST_IMAGE_TYPE: {
    status: 415,
    retryable: false,
    message: 'Images must be PNG, JPEG, GIF or WebP.',
  },
  // Federation: links between relays
  ERR_PEER_AUTH: {
    status: 401,
    retryable: false,
    message: 'The relay signature or key does not match a configured peer.',
  },
  ERR_PEER_STALE: {
    status: 401,
    retryable: true,
    message: 'The relay request is outside the clock window; resend it with a fresh time.',
  },
  ERR_PEER_REPLAY: {
    status: 409,
    retryable: false,
    message: 'This relay request was already received.',
  },
  ERR_PEER_QUOTA: {
    status: 429,
    retryable: true,
    message: 'The peer relay is over its quota with this relay; back off and retry.',
  },
  ERR_PEER_UNREACHABLE: {
    status: 503,
    retryable: true,
    message: 'The peer relay cannot be reached now.',
  },
} as const satisfies Record<string, ErrorInfo>;

/** Every registered error code. */
export type ErrorCode = keyof typeof registry;

/** The full registry, frozen. */
export const ERRORS: Readonly<Record<ErrorCode, ErrorInfo>> = Object.freeze(registry);

/** All codes, in registry order. */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(
  Object.keys(registry) as ErrorCode[],
);

/** True when `code` is a registered error code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(registry, code);
}

/** Looks up an error's status, retryability and public message. */
export function errorInfo(code: ErrorCode): ErrorInfo {
  return registry[code];
}

/** A typed error carrying a registered code; thrown only across async/infrastructure boundaries. */
export class KomradeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: ErrorCode, detail?: string) {
    const info = registry[code];
    super(detail === undefined ? info.message : `${info.message} (${detail})`);
    this.name = 'KomradeError';
    this.code = code;
    this.status = info.status;
    this.retryable = info.retryable;
  }
}
