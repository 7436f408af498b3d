import { runService } from '@komrade/service-runtime';
import { vouchConfig } from './config.js';
import { start } from './service.js';

await runService('vouch', () => start(vouchConfig(process.env)));
