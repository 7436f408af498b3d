import { common, loadEnv, telemetryConfig, telemetryShape } from '@komrade/service-runtime';

/** Purge configuration, from the environment only. See deploy/env.example. */
export function purgeConfig(env: Record<string, string | undefined>) {
  const c = loadEnv(
    'purge',
    {
      ...telemetryShape,
      KOMRADE_NATS_URLS: common.natsUrls,
      KOMRADE_REDIS_URL: common.redisUrls,
      KOMRADE_REDIS_CLUSTER: common.flag(false),
      KOMRADE_LOG_LEVEL: common.logLevel,
      KOMRADE_SWEEP_INTERVAL_SEC: common.seconds(60, 1, 86400),
    },
    env,
  );
  return Object.freeze({
    telemetry: telemetryConfig(c),
    natsUrls: c.KOMRADE_NATS_URLS,
    redis: { urls: c.KOMRADE_REDIS_URL, cluster: c.KOMRADE_REDIS_CLUSTER },
    logLevel: c.KOMRADE_LOG_LEVEL,
    sweepIntervalSec: c.KOMRADE_SWEEP_INTERVAL_SEC,
  });
}

export type PurgeConfig = ReturnType<typeof purgeConfig>;
