export { ConfigError, loadEnv, common, KNOWN_VARIABLES } from './config.js';
export { createLogger, scrub } from './logger.js';
export type { Logger } from './logger.js';
export { connectNats } from './nats-connection.js';
export type { NatsConnection } from './nats-connection.js';
export { serveRequests } from './request-loop.js';
export type { RequestLoop, RequestLoopOptions } from './request-loop.js';
export { ServiceStats } from './service-stats.js';
export { serveHealth } from './health.js';
export type { HealthOptions, OpsPingReply } from './health.js';
export { runService } from './run-service.js';
export { LuaScript } from './lua-script.js';
export type { RedisClient } from './lua-script.js';
export { connectRedis, redisReady } from './redis-connection.js';
export { ensureMailStream, ensureMailConsumer } from './mail-stream.js';
export type { MailStreamOptions } from './mail-stream.js';
export { startTelemetry, telemetryConfig, telemetryShape } from './telemetry.js';
export type { Telemetry, TelemetryConfig } from './telemetry.js';
export { traceHeaders, contextFromHeaders } from './trace-propagation.js';
export { RequestMetrics } from './request-metrics.js';
export type { RedisTarget } from './redis-connection.js';
export { waitForReplicas } from './replica-wait.js';
export { nodeOfKey, refreshRouting } from './cluster-routing.js';
// federation (issue 10)
export {
  federationShape,
  federationConfig,
  parsePeers,
  formatPeers,
  parseRelayKey,
  formatRelayKey,
} from './relay-config.js';
export type { Peer, FederationConfig } from './relay-config.js';
export { PeerClient } from './peer-client.js';
export type { PeerClientOptions } from './peer-client.js';
export { ensureOutboundStream, ensureOutboundConsumer } from './outbound-stream.js';
