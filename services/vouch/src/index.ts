export { start } from './service.js';
export type { RunningVouch, VouchDeps } from './service.js';
export { vouchConfig } from './config.js';
export type { VouchConfig } from './config.js';
export { handleRegister, handleLookup } from './directory-handlers.js';
export type { DirectoryDeps } from './directory-handlers.js';
export { openKvDirectory, MemoryDirectoryStore } from './directory-store.js';
export type { DirectoryStore } from './directory-store.js';
export {
  handleCollectiveRequest,
  handleShow,
  handleCount,
  handleFanout,
  handleRemote,
} from './collective-handlers.js';
export type { CollectiveDeps } from './collective-handlers.js';
export {
  openKvCollectives,
  MemoryCollectiveStore,
  insertSorted,
  MAX_SET_ITEMS,
  NONCE_TTL_MS,
} from './collective-store.js';
export type { CollectiveStore, Versioned } from './collective-store.js';
export { VouchTokens, countDigest, proposalTag } from './vouch-tokens.js';
export { VouchMetrics } from './vouch-metrics.js';
