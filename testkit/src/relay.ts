import { createHash } from 'node:crypto';
import { start as startOperator, operatorConfig, type RunningOperator } from '@komrade/operator';
import { start as startPurge, purgeConfig, type RunningPurge } from '@komrade/purge';
import { start as startSorter, sorterConfig, type RunningSorter } from '@komrade/sorter';
import { start as startVouch, vouchConfig, type RunningVouch } from '@komrade/vouch';
import { generateKeyPair, initCrypto, relayFingerprint, type KeyPair } from '@komrade/protocol';
import { createLogger, formatPeers, formatRelayKey, type Peer } from '@komrade/service-runtime';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { LogSink } from './log-sink.js';

/** The vouch secret of every test relay (tests may override it through `env`). */
export const TEST_VOUCH_SECRET = createHash('sha256')
  .update('komrade testkit vouch secret')
  .digest('hex');

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
  /** Federation: the relay key pair (a fresh one by default). */
  readonly relayKey?: KeyPair;
  /** Federation: peer relays (KOMRADE_PEERS). */
  readonly peers?: readonly Peer[];
  /** A fixed operator port, for relays that peers reach by URL or that restart behind it. */
  readonly operatorPort?: number;
}

export interface TestRelay extends AsyncDisposable {
  readonly operatorUrl: string;
  readonly operator?: RunningOperator;
  readonly sorter?: RunningSorter;
  readonly purge?: RunningPurge;
  readonly vouch?: RunningVouch;
  /** Every log line of every service, at debug level. */
  readonly logs: LogSink;
  /** Every sampled span of every service (sampling ratio 1 unless env overrides it). */
  readonly spans: InMemorySpanExporter;
  /** Each running service's Prometheus endpoint. */
  readonly metricsUrls: Record<string, string>;
  readonly env: Record<string, string>;
  /** Federation: this relay's key pair and how a peer names it in KOMRADE_PEERS. */
  readonly relayKey: KeyPair;
  readonly asPeer: Peer;
  stop(): Promise<void>;
}

/**
 * Starts the relay's services in this process through their start(config, deps), against
 * real nats-server and redis-server, with logs captured at debug level.
 */
export async function startRelay(o: RelayOptions): Promise<TestRelay> {
  await initCrypto();
  const relayKey = o.relayKey ?? generateKeyPair();
  const env: Record<string, string> = {
    KOMRADE_NATS_URLS: o.natsUrl,
    KOMRADE_REDIS_URL: o.redisUrl,
    KOMRADE_RELAY_NAME: o.relayName ?? 'test',
    KOMRADE_LOG_LEVEL: 'debug',
    KOMRADE_OPERATOR_HOST: '127.0.0.1',
    KOMRADE_OPERATOR_PORT: '0',
    KOMRADE_POSTAGE_BITS: String(o.postageBits ?? 2),
    KOMRADE_POSTAGE_AUTO: 'false',
    KOMRADE_METRICS_PORT: '0',
    KOMRADE_TRACE_SAMPLE_RATIO: '1',
    KOMRADE_RELAY_KEY: formatRelayKey(relayKey),
    ...(o.peers ? { KOMRADE_PEERS: formatPeers(o.peers), KOMRADE_PEER_POSTAGE_BITS: '2' } : {}),
    ...(o.operatorPort !== undefined ? { KOMRADE_OPERATOR_PORT: String(o.operatorPort) } : {}),
    // fixed, so a relay restarted by a test keeps matching its stored vouch tokens
    KOMRADE_VOUCH_SECRET: TEST_VOUCH_SECRET,
    ...o.env,
  };
  const logs = new LogSink();
  const spans = new InMemorySpanExporter();
  const telemetry = { spanExporter: spans, ...(o.now ? { now: o.now } : {}) };
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
          ...telemetry,
        })
      : undefined;
    if (sorter) started.push(sorter);
    const purge = want.has('purge')
      ? await startPurge(purgeConfig(env), {
          log: createLogger('purge', 'debug', logs),
          ...telemetry,
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
          ...telemetry,
        })
      : undefined;
    if (operator) started.push(operator);
    const metricsUrls: Record<string, string> = {};
    for (const [name, svc] of Object.entries({ operator, sorter, purge, vouch }))
      if (svc?.metricsUrl) metricsUrls[name] = svc.metricsUrl;
    const relayName = env['KOMRADE_RELAY_NAME'] ?? 'test';
    return {
      relayKey,
      asPeer: {
        name: relayName,
        url: operator?.url ?? `http://127.0.0.1:${o.operatorPort ?? 0}`,
        fingerprint: relayFingerprint(relayKey.publicKey),
      },
      operatorUrl: operator?.url ?? '',
      spans,
      metricsUrls,
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
