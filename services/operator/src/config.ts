import {
  common,
  ConfigError,
  federationConfig,
  federationShape,
  loadEnv,
  telemetryConfig,
  telemetryShape,
} from '@komrade/service-runtime';
import { MAX_BATCH } from '@komrade/protocol';
import { z } from 'zod';

/** Operator configuration, from the environment only. See deploy/env.example. */
export function operatorConfig(env: Record<string, string | undefined>) {
  const c = loadEnv(
    'operator',
    {
      ...telemetryShape,
      KOMRADE_NATS_URLS: common.natsUrls,
      KOMRADE_RELAY_NAME: common.relayName,
      KOMRADE_LOG_LEVEL: common.logLevel,
      KOMRADE_OPERATOR_HOST: z.string().min(1).default('127.0.0.1'),
      KOMRADE_OPERATOR_PORT: common.count(8080, 0, 65535),
      KOMRADE_DEV_ALLOW_PUBLIC_BIND: common.flag(false),
      KOMRADE_POSTAGE_BITS: common.count(16, 0, 28),
      KOMRADE_POSTAGE_AUTO: common.flag(true),
      KOMRADE_POSTAGE_TARGET_RPS: common.count(2000, 1, 10_000_000),
      KOMRADE_BODY_LIMIT_BYTES: common.count(1024 * 1024, 1024, 64 * 1024 * 1024),
      KOMRADE_REQUEST_TIMEOUT_MS: common.count(5000, 100, 120_000),
      KOMRADE_MAIL_GROUP_MAX_ENVELOPES: common.count(MAX_BATCH, 1, MAX_BATCH),
      KOMRADE_MAIL_GROUP_MAX_BYTES: common.count(512 * 1024, 65_536, 8 * 1024 * 1024),
      KOMRADE_MAIL_MAX_TTL_SEC: common.seconds(7 * 86400, 60, 90 * 86400),
      KOMRADE_WORLD_MAX_TTL_SEC: common.seconds(30 * 86400, 60, 365 * 86400),
      KOMRADE_JS_REPLICAS: common.count(1, 1, 5),
      KOMRADE_MAIL_STREAM_MAX_BYTES: common.count(256 * 1024 * 1024, 1024 * 1024, 2 ** 40),
      ...federationShape,
      KOMRADE_PEER_ENVELOPES_PER_MIN: common.count(60_000, 1, 100_000_000),
      KOMRADE_PEER_BYTES_PER_MIN: common.count(512 * 1024 * 1024, 65_536, 2 ** 40),
      KOMRADE_PEER_LOOKUPS_PER_MIN: common.count(600, 1, 1_000_000),
      KOMRADE_WEB_DIR: z.string().min(1).optional(),
    },
    env,
  );
  const federation = federationConfig(c.KOMRADE_RELAY_NAME, c);
  if (federation.problems.length > 0) throw new ConfigError('operator', federation.problems);
  return Object.freeze({
    telemetry: telemetryConfig(c),
    natsUrls: c.KOMRADE_NATS_URLS,
    relayName: c.KOMRADE_RELAY_NAME,
    logLevel: c.KOMRADE_LOG_LEVEL,
    host: c.KOMRADE_OPERATOR_HOST,
    port: c.KOMRADE_OPERATOR_PORT,
    devAllowPublicBind: c.KOMRADE_DEV_ALLOW_PUBLIC_BIND,
    postageBits: c.KOMRADE_POSTAGE_BITS,
    postageAuto: c.KOMRADE_POSTAGE_AUTO,
    postageTargetRps: c.KOMRADE_POSTAGE_TARGET_RPS,
    bodyLimitBytes: c.KOMRADE_BODY_LIMIT_BYTES,
    requestTimeoutMs: c.KOMRADE_REQUEST_TIMEOUT_MS,
    /** Group commit of accepted mail into JetStream messages (see JetStreamMailSink). */
    mailGroup: {
      maxEnvelopes: c.KOMRADE_MAIL_GROUP_MAX_ENVELOPES,
      maxBytes: c.KOMRADE_MAIL_GROUP_MAX_BYTES,
    },
    mailMaxTtlSec: c.KOMRADE_MAIL_MAX_TTL_SEC,
    /** Longest lifetime of a world post (told to clients in /v1/info; the sorter enforces it). */
    worldMaxTtlSec: c.KOMRADE_WORLD_MAX_TTL_SEC,
    jsReplicas: c.KOMRADE_JS_REPLICAS,
    mailStreamMaxBytes: c.KOMRADE_MAIL_STREAM_MAX_BYTES,
    /** Relay identity and peers (SPEC.md section 19). */
    federation: federation.config,
    peerQuotas: {
      envelopesPerMin: c.KOMRADE_PEER_ENVELOPES_PER_MIN,
      bytesPerMin: c.KOMRADE_PEER_BYTES_PER_MIN,
      lookupsPerMin: c.KOMRADE_PEER_LOOKUPS_PER_MIN,
    },
    /** The built web client to serve under `/` (client/web/dist); none when unset. */
    webDir: c.KOMRADE_WEB_DIR,
  });
}

export type OperatorConfig = ReturnType<typeof operatorConfig>;
