export {
  findBinary,
  installCommand,
  INSTALL_HINTS,
  locateBinary,
  MissingBinaryError,
  missingBinaries,
  SBIN_DIRS,
} from './find-binary.js';
export type { FindBinaryOptions, ServerBinary } from './find-binary.js';
export { findFreePort } from './free-port.js';
export { describeExit, livePids, spawnManaged, STOP_GRACE_MS } from './managed-process.js';
export type { ExitStatus, ManagedProcess, SpawnManagedOptions } from './managed-process.js';
export { natsConfig, startNatsServer } from './nats-server.js';
export type { NatsServerOptions } from './nats-server.js';
export { redisArgs, startRedisServer } from './redis-server.js';
export type { RedisServerOptions } from './redis-server.js';
export type { RunningServer } from './running-server.js';
export { natsAnswers, redisAnswersPing } from './probes.js';
export { commandLine, isAlive } from './process-check.js';
export { requestHealth } from './service-health.js';
export { SERVICE_MAIN, serviceMainPath, spawnService } from './service-process.js';
export type { SpawnServiceOptions } from './service-process.js';
export {
  CLUSTER_FILE_NAME,
  CLUSTER_FILE_VERSION,
  clusterFilePath,
  clusterPids,
  readClusterFile,
  removeClusterFile,
  writeClusterFile,
} from './cluster-file.js';
export type { ClusterFile } from './cluster-file.js';
export { startLocalCluster } from './local-cluster.js';
export { ClusterAlreadyRunningError, LOCK_FILE_NAME, lockStateDir } from './state-lock.js';
export type { LocalCluster, LocalClusterOptions } from './local-cluster.js';
export { reapStaleCluster } from './stale-cluster.js';
export { waitUntil } from './wait-until.js';
export type { WaitOptions } from './wait-until.js';
export { startTorNetwork } from './tor-testnet.js';
export type { TorNetwork, TorNetworkOptions } from './tor-testnet.js';
export { startOnionService } from './onion-service.js';
export type { OnionService, OnionServiceOptions } from './onion-service.js';
