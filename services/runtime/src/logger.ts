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

/** Errors keep their type, code and message, never a payload attached to them. */
function safeError(e: unknown): Record<string, unknown> {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { type: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}), stack: e.stack };
  }
  return { type: typeof e };
}

export type { Logger };
