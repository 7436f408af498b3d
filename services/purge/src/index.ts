export { start } from './service.js';
export type { RunningPurge, PurgeDeps } from './service.js';
export { purgeConfig } from './config.js';
export type { PurgeConfig } from './config.js';
export { handleAck } from './ack-handler.js';
export { PurgeStore } from './purge-store.js';
export { sweepOnce } from './sweeper.js';
