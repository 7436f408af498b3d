export { flushRedis, startNats, startRedis } from './servers.js';
export type { RunningServer, TestNatsOptions, TestRedisOptions } from './servers.js';
