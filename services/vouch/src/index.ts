export { start } from './service.js';
export type { RunningVouch, VouchDeps } from './service.js';
export { vouchConfig } from './config.js';
export type { VouchConfig } from './config.js';
