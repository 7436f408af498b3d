import { ConfigError } from './config.js';

/**
 * The body of every service's main.ts: start, then stop cleanly on SIGINT/SIGTERM.
 * Sets process.exitCode (never calls process.exit): 0 on a clean stop, 2 on bad
 * configuration, 1 on a failure to start.
 */
export async function runService(
  name: string,
  start: () => Promise<AsyncDisposable>,
): Promise<void> {
  let running: AsyncDisposable;
  try {
    running = await start();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `${name}: failed to start: ${e instanceof Error ? e.message : String(e)}\n`,
      );
      process.exitCode = 1;
    }
    return;
  }
  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await new Promise<void>((resolve) => {
    stop.signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
  try {
    await running[Symbol.asyncDispose]();
  } catch (e) {
    process.stderr.write(
      `${name}: error while stopping: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exitCode = 1;
  }
}
