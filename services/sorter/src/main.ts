import { runService } from '@komrade/service-runtime';
import { sorterConfig } from './config.js';
import { start } from './service.js';

await runService('sorter', () => start(sorterConfig(process.env)));
