export { start } from './service.js';
export type { RunningSorter, SorterDeps } from './service.js';
export { sorterConfig } from './config.js';
export type { SorterConfig } from './config.js';
export { handleCreate, handleSession, handleFetch } from './mailbox-handlers.js';
export type { MailboxDeps } from './mailbox-handlers.js';
export { sortOne } from './sort-loop.js';
export type { SortCounts } from './sort-loop.js';
export { SorterMailboxStore } from './mailbox-store.js';
