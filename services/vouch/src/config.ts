import { common, loadEnv, telemetryConfig, telemetryShape } from '@komrade/service-runtime';
import { z } from 'zod';

/** Vouch configuration, from the environment only. See deploy/env.example. */
export function vouchConfig(env: Record<string, string | undefined>) {
  const c = loadEnv(
    'vouch',
    {
      ...telemetryShape,
      KOMRADE_NATS_URLS: common.natsUrls,
      KOMRADE_RELAY_NAME: common.relayName,
      KOMRADE_LOG_LEVEL: common.logLevel,
      KOMRADE_JS_REPLICAS: common.count(1, 1, 5),
      /**
       * The key of every vouch token (HMAC-SHA256): 32 bytes as 64 hex digits. Required,
       * and it must stay the same across restarts, or stored tokens stop matching (double
       * vouches would count again). A random one per start is therefore not an option.
       */
      KOMRADE_VOUCH_SECRET: z
        .string({ error: 'required: 64 hex digits (32 random bytes), kept across restarts' })
        .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (32 random bytes)'),
    },
    env,
  );
  const secret = Buffer.from(c.KOMRADE_VOUCH_SECRET, 'hex');
  return Object.freeze({
    telemetry: telemetryConfig(c),
    natsUrls: c.KOMRADE_NATS_URLS,
    relayName: c.KOMRADE_RELAY_NAME,
    logLevel: c.KOMRADE_LOG_LEVEL,
    jsReplicas: c.KOMRADE_JS_REPLICAS,
    /** Never logged, never stored: tokens are keyed with it (see vouch-tokens.ts). */
    vouchSecret: new Uint8Array(secret),
  });
}

export type VouchConfig = ReturnType<typeof vouchConfig>;
