import { start as startOperator, operatorConfig, type RunningOperator } from '@komrade/operator';
import { start as startPurge, purgeConfig, type RunningPurge } from '@komrade/purge';
import { start as startSorter, sorterConfig, type RunningSorter } from '@komrade/sorter';
import { start as startVouch, vouchConfig, type RunningVouch } from '@komrade/vouch';
import { createLogger } from '@komrade/service-runtime';
import { LogSink } from './log-sink.js';

export interface RelayOptions {
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly relayName?: string;
  readonly postageBits?: number;
  /** Extra KOMRADE_* variables for every service. */
  readonly env?: Record<string, string>;
  /** Clock for sorter, purge and operator (default Date.now); lets tests jump ahead. */
  readonly now?: () => number;
  /** Start these services (default: all four). */
  readonly services?: readonly ('operator' | 'sorter' | 'purge' | 'vouch')[];
}

export interface TestRelay extends AsyncDisposable {
  readonly operatorUrl: string;
  readonly operator?: RunningOperator;
  readonly sorter?: RunningSorter;
  readonly purge?: RunningPurge;
  readonly vouch?: RunningVouch;
  /** Every log line of every service, at debug level. */
  readonly logs: LogSink;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the relay's services in this process through their start(config, deps), against
 * real nats-server and redis-server, with logs captured at debug level.
 */
export async function startRelay(o: RelayOptions): Promise<TestRelay> {
  const env: Record<string, string> = {
    KOMRADE_NATS_URLS: o.natsUrl,
    KOMRADE_REDIS_URL: o.redisUrl,
    KOMRADE_RELAY_NAME: o.relayName ?? 'test',
    KOMRADE_LOG_LEVEL: 'debug',
    KOMRADE_OPERATOR_HOST: '127.0.0.1',
    KOMRADE_OPERATOR_PORT: '0',
    KOMRADE_POSTAGE_BITS: String(o.postageBits ?? 2),
    KOMRADE_POSTAGE_AUTO: 'false',
    ...o.env,
  };
  const logs = new LogSink();
  const want = new Set(o.services ?? ['operator', 'sorter', 'purge', 'vouch']);
  const started: AsyncDisposable[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s[Symbol.asyncDispose]();
    started.length = 0;
  };
  try {
    const sorter = want.has('sorter')
      ? await startSorter(sorterConfig(env), {
          log: createLogger('sorter', 'debug', logs),
          ...(o.now ? { now: o.now } : {}),
        })
      : undefined;
    if (sorter) started.push(sorter);
    const purge = want.has('purge')
      ? await startPurge(purgeConfig(env), {
          log: createLogger('purge', 'debug', logs),
          ...(o.now ? { now: o.now } : {}),
        })
      : undefined;
    if (purge) started.push(purge);
    const vouch = want.has('vouch')
      ? await startVouch(vouchConfig(env), { log: createLogger('vouch', 'debug', logs) })
      : undefined;
    if (vouch) started.push(vouch);
    const operator = want.has('operator')
      ? await startOperator(operatorConfig(env), {
          log: createLogger('operator', 'debug', logs),
          ...(o.now ? { now: o.now } : {}),
        })
      : undefined;
    if (operator) started.push(operator);
    return {
      operatorUrl: operator?.url ?? '',
      ...(operator ? { operator } : {}),
      ...(sorter ? { sorter } : {}),
      ...(purge ? { purge } : {}),
      ...(vouch ? { vouch } : {}),
      logs,
      env,
      stop: stopAll,
      [Symbol.asyncDispose]: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
