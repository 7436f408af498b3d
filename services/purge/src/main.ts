import { runService } from '@komrade/service-runtime';
import { purgeConfig } from './config.js';
import { start } from './service.js';

await runService('purge', () => start(purgeConfig(process.env)));
