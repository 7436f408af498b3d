import { common, loadEnv } from '@komrade/service-runtime';

/** Vouch configuration, from the environment only. See deploy/env.example. */
export function vouchConfig(env: Record<string, string | undefined>) {
  const c = loadEnv(
    'vouch',
    {
      KOMRADE_NATS_URLS: common.natsUrls,
      KOMRADE_RELAY_NAME: common.relayName,
      KOMRADE_LOG_LEVEL: common.logLevel,
      KOMRADE_JS_REPLICAS: common.count(1, 1, 5),
    },
    env,
  );
  return Object.freeze({
    natsUrls: c.KOMRADE_NATS_URLS,
    relayName: c.KOMRADE_RELAY_NAME,
    logLevel: c.KOMRADE_LOG_LEVEL,
    jsReplicas: c.KOMRADE_JS_REPLICAS,
  });
}

export type VouchConfig = ReturnType<typeof vouchConfig>;
