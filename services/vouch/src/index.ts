export { start } from './service.js';
export type { RunningVouch, VouchDeps } from './service.js';
export { vouchConfig } from './config.js';
export type { VouchConfig } from './config.js';
export { handleRegister, handleLookup } from './directory-handlers.js';
export type { DirectoryDeps } from './directory-handlers.js';
export { openKvDirectory, MemoryDirectoryStore } from './directory-store.js';
export type { DirectoryStore } from './directory-store.js';
