import {
  common,
  ConfigError,
  federationConfig,
  federationShape,
  loadEnv,
  telemetryConfig,
  telemetryShape,
} from '@komrade/service-runtime';

/** Sorter configuration, from the environment only. See deploy/env.example. */
export function sorterConfig(env: Record<string, string | undefined>) {
  const c = loadEnv(
    'sorter',
    {
      ...telemetryShape,
      KOMRADE_NATS_URLS: common.natsUrls,
      KOMRADE_REDIS_URL: common.redisUrls,
      KOMRADE_REDIS_CLUSTER: common.flag(false),
      KOMRADE_REDIS_WAIT_REPLICAS: common.count(0, 0, 5),
      KOMRADE_REDIS_WAIT_TIMEOUT_MS: common.count(1000, 10, 60_000),
      KOMRADE_RELAY_NAME: common.relayName,
      KOMRADE_LOG_LEVEL: common.logLevel,
      KOMRADE_MAILBOX_QUOTA: common.count(1000, 1, 1_000_000),
      KOMRADE_MAIL_MAX_TTL_SEC: common.seconds(7 * 86400, 60, 90 * 86400),
      KOMRADE_MAILBOX_TTL_SEC: common.seconds(90 * 86400, 3600, 3650 * 86400),
      KOMRADE_SESSION_TTL_SEC: common.seconds(600, 10, 86400),
      KOMRADE_PROOF_WINDOW_SEC: common.seconds(120, 5, 3600),
      KOMRADE_JS_REPLICAS: common.count(1, 1, 5),
      KOMRADE_MAIL_STREAM_MAX_BYTES: common.count(256 * 1024 * 1024, 1024 * 1024, 2 ** 40),
      KOMRADE_SORT_CONCURRENCY: common.count(256, 1, 4096),
      KOMRADE_QUOTA_RETRY_MS: common.count(30_000, 100, 3_600_000),
      KOMRADE_FANOUT_CACHE_MS: common.count(2000, 0, 600_000),
      KOMRADE_WORLD_MAX_TTL_SEC: common.seconds(30 * 86400, 60, 365 * 86400),
      ...federationShape,
      KOMRADE_FORWARD_BATCH_BYTES: common.count(512 * 1024, 70_000, 64 * 1024 * 1024),
      KOMRADE_FORWARD_RETRY_MIN_MS: common.count(1000, 10, 3_600_000),
      KOMRADE_FORWARD_RETRY_MAX_MS: common.count(60_000, 10, 86_400_000),
    },
    env,
  );
  const federation = federationConfig(c.KOMRADE_RELAY_NAME, c);
  if (c.KOMRADE_FORWARD_RETRY_MAX_MS < c.KOMRADE_FORWARD_RETRY_MIN_MS)
    federation.problems.push(
      'KOMRADE_FORWARD_RETRY_MAX_MS: must be at least KOMRADE_FORWARD_RETRY_MIN_MS',
    );
  if (federation.problems.length > 0) throw new ConfigError('sorter', federation.problems);
  return Object.freeze({
    telemetry: telemetryConfig(c),
    natsUrls: c.KOMRADE_NATS_URLS,
    redis: { urls: c.KOMRADE_REDIS_URL, cluster: c.KOMRADE_REDIS_CLUSTER },
    /** Replicas that must hold a mailbox write before JetStream is acked (0: none). */
    redisWaitReplicas: c.KOMRADE_REDIS_WAIT_REPLICAS,
    redisWaitTimeoutMs: c.KOMRADE_REDIS_WAIT_TIMEOUT_MS,
    relayName: c.KOMRADE_RELAY_NAME,
    logLevel: c.KOMRADE_LOG_LEVEL,
    mailboxQuota: c.KOMRADE_MAILBOX_QUOTA,
    mailMaxTtlSec: c.KOMRADE_MAIL_MAX_TTL_SEC,
    mailboxTtlSec: c.KOMRADE_MAILBOX_TTL_SEC,
    sessionTtlSec: c.KOMRADE_SESSION_TTL_SEC,
    proofWindowSec: c.KOMRADE_PROOF_WINDOW_SEC,
    jsReplicas: c.KOMRADE_JS_REPLICAS,
    mailStreamMaxBytes: c.KOMRADE_MAIL_STREAM_MAX_BYTES,
    sortConcurrency: c.KOMRADE_SORT_CONCURRENCY,
    quotaRetryMs: c.KOMRADE_QUOTA_RETRY_MS,
    /** How long a collective's member list is reused for fan-out (0: ask vouch every time). */
    fanoutCacheMs: c.KOMRADE_FANOUT_CACHE_MS,
    /** Longest lifetime an author may give a world post. */
    worldMaxTtlSec: c.KOMRADE_WORLD_MAX_TTL_SEC,
    /** Relay identity and peers (SPEC.md section 19). */
    federation: federation.config,
    forwardBatchBytes: c.KOMRADE_FORWARD_BATCH_BYTES,
    forwardRetryMinMs: c.KOMRADE_FORWARD_RETRY_MIN_MS,
    forwardRetryMaxMs: c.KOMRADE_FORWARD_RETRY_MAX_MS,
  });
}

export type SorterConfig = ReturnType<typeof sorterConfig>;
