import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Structured JSON logs that never carry identifiers. Services log events and counts only;
 * as a second line of defence, fields that could hold user data are censored wherever
 * they appear. No pid or hostname either: logs may leave the machine.
 */
export function createLogger(
  service: string,
  level: string,
  destination?: DestinationStream,
): Logger {
  const opts = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]),
      censor: '[redacted]',
    },
    serializers: { err: safeError },
  };
  return destination ? pino(opts, destination) : pino(opts);
}

const REDACTED_FIELDS = [
  'id',
  'mailbox',
  'mailboxId',
  'messageId',
  'name',
  'key',
  'publicKey',
  'token',
  'ciphertext',
  'body',
  'payload',
  'data',
  'address',
  'ip',
  'remoteAddress',
  'url',
];

/**
 * Removes what could identify someone from error text: backends echo arguments in their
 * messages (a Redis error quotes the key, which holds a mailbox id), so long hex or
 * base64 runs, hash tags and IP addresses are masked.
 */
export function scrub(text: string): string {
  return text
    .replace(/\{[^}\s]*\}/g, '{…}')
    .replace(/\b[0-9a-fA-F]{16,}\b/g, '[hex]')
    .replace(/[A-Za-z0-9+/_-]{24,}={0,2}/g, '[blob]')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '[ip]')
    .replace(/'[^']{8,}'/g, "'…'");
}

/** Errors keep their type, code, and scrubbed message and stack; never a payload. */
function safeError(e: unknown): Record<string, unknown> {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return {
      type: e.name,
      message: scrub(e.message),
      ...(typeof code === 'string' ? { code } : {}),
      ...(e.stack ? { stack: scrub(e.stack) } : {}),
    };
  }
  return { type: typeof e };
}

export type { Logger };
