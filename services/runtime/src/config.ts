import { z } from 'zod';

/** Raised at start when the environment is malformed; lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(service: string, problems: readonly string[]) {
    super(`${service}: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Validates raw environment values against a zod schema whose keys are the variable
 * names, and returns a frozen, typed object. Unknown KOMRADE_* variables are reported
 * too, so a typo never silently falls back to a default.
 */
export function loadEnv<S extends z.ZodRawShape>(
  service: string,
  shape: S,
  env: Record<string, string | undefined>,
): Readonly<z.infer<z.ZodObject<S>>> {
  const problems: string[] = [];
  for (const k of Object.keys(env)) {
    if (k.startsWith('KOMRADE_') && !KNOWN_VARIABLES.has(k) && !(k in shape))
      problems.push(`${k}: unknown variable (typo?)`);
  }
  const picked: Record<string, string> = {};
  for (const k of Object.keys(shape)) {
    const v = env[k];
    if (v !== undefined && v !== '') picked[k] = v;
  }
  const parsed = z.object(shape).safeParse(picked);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(service, problems);
  return Object.freeze(parsed.data);
}

/**
 * Every KOMRADE_* variable any part reads (deploy/env.example documents each). One
 * environment may be shared by all services (npm start does that), so a service ignores
 * the ones it does not use, but a name on no list is a typo and fails the start.
 */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  // all services
  'KOMRADE_NATS_URLS',
  'KOMRADE_RELAY_NAME',
  'KOMRADE_LOG_LEVEL',
  'KOMRADE_METRICS_HOST',
  'KOMRADE_METRICS_PORT',
  'KOMRADE_OTLP_URL',
  'KOMRADE_TRACE_SAMPLE_RATIO',
  // sorter and purge
  'KOMRADE_REDIS_URL',
  'KOMRADE_REDIS_CLUSTER',
  'KOMRADE_REDIS_WAIT_REPLICAS',
  'KOMRADE_REDIS_WAIT_TIMEOUT_MS',
  'KOMRADE_MAILBOX_QUOTA',
  'KOMRADE_MAIL_MAX_TTL_SEC',
  'KOMRADE_MAILBOX_TTL_SEC',
  'KOMRADE_SESSION_TTL_SEC',
  'KOMRADE_PROOF_WINDOW_SEC',
  'KOMRADE_JS_REPLICAS',
  'KOMRADE_MAIL_STREAM_MAX_BYTES',
  'KOMRADE_SORT_CONCURRENCY',
  'KOMRADE_QUOTA_RETRY_MS',
  'KOMRADE_SWEEP_INTERVAL_SEC',
  'KOMRADE_FANOUT_CACHE_MS',
  'KOMRADE_WORLD_MAX_TTL_SEC',
  // vouch
  'KOMRADE_VOUCH_SECRET',
  // operator
  'KOMRADE_OPERATOR_HOST',
  'KOMRADE_OPERATOR_PORT',
  'KOMRADE_POSTAGE_BITS',
  'KOMRADE_POSTAGE_AUTO',
  'KOMRADE_POSTAGE_TARGET_RPS',
  'KOMRADE_BODY_LIMIT_BYTES',
  'KOMRADE_REQUEST_TIMEOUT_MS',
  'KOMRADE_MAIL_GROUP_MAX_ENVELOPES',
  'KOMRADE_MAIL_GROUP_MAX_BYTES',
  'KOMRADE_DEV_ALLOW_PUBLIC_BIND',
  'KOMRADE_WEB_DIR',
  // federation (operator and sorter)
  'KOMRADE_RELAY_KEY',
  'KOMRADE_RELAY_URL',
  'KOMRADE_PEERS',
  'KOMRADE_RELAY_SOCKS',
  'KOMRADE_PEER_POSTAGE_BITS',
  'KOMRADE_PEER_ENVELOPES_PER_MIN',
  'KOMRADE_PEER_BYTES_PER_MIN',
  'KOMRADE_PEER_LOOKUPS_PER_MIN',
  'KOMRADE_FORWARD_BATCH_BYTES',
  'KOMRADE_FORWARD_RETRY_MIN_MS',
  'KOMRADE_FORWARD_RETRY_MAX_MS',
  // local cluster, CLI and tests
  'KOMRADE_STATE_DIR',
  'KOMRADE_OPERATOR',
  'KOMRADE_PASSPHRASE',
  'KOMRADE_HOME',
  'KOMRADE_TEST',
]);

/** Schema fragments used by several services. */
/** An integer variable; anything else reads "must be a whole number from MIN to MAX". */
function wholeNumber(def: number, min: number, max: number, unit = '') {
  const error = `must be a whole number${unit} from ${min} to ${max}`;
  return z.coerce
    .number({ error })
    .int({ error })
    .min(min, { error })
    .max(max, { error })
    .default(def);
}

export const common = {
  natsUrls: z
    .string()
    .default('nats://127.0.0.1:4222')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u.length > 0),
    )
    .pipe(
      z
        .array(z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$/, 'must be nats://host:port'))
        .min(1),
    ),
  /** One redis:// URL, or (with KOMRADE_REDIS_CLUSTER) a comma-separated list of cluster seed nodes. */
  redisUrls: z
    .string()
    .default('redis://127.0.0.1:6379')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u.length > 0),
    )
    .pipe(
      z.array(z.string().regex(/^(redis|rediss):\/\/[^\s]+$/, 'must be redis://host:port')).min(1),
    ),
  relayName: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/, 'must be 1-63 of [a-z0-9.-]')
    .default('local'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  seconds: (def: number, min = 1, max = 365 * 86400) => wholeNumber(def, min, max, ' of seconds'),
  count: (def: number, min = 0, max = 1_000_000_000) => wholeNumber(def, min, max),
  flag: (def: boolean) =>
    z
      .enum(['0', '1', 'true', 'false', 'yes', 'no'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === '1' || v === 'true' || v === 'yes'),
};
