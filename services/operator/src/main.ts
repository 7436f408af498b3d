import { runService } from '@komrade/service-runtime';
import { operatorConfig } from './config.js';
import { start } from './service.js';

await runService('operator', async () => {
  const running = await start(operatorConfig(process.env));
  // The one line a person starting the operator by hand needs: where it listens.
  process.stdout.write(
    `${JSON.stringify({ level: 30, service: 'operator', msg: 'listening', listen: running.url })}\n`,
  );
  return running;
});
