// `npm start`: runs a whole Komrade relay on this machine until Ctrl-C or SIGTERM.
// Reads only the environment (KOMRADE_STATE_DIR, plus any KOMRADE_* setting, which is
// passed on to the services; see deploy/env.example).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCommand, missingBinaries } from './find-binary.js';
import { writeClusterFile } from './cluster-file.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import { startOnionService, type OnionService } from './onion-service.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const USAGE = `Usage: npm start [-- --onion | --onion-testnet] [-- --help]

Starts nats-server, redis-server and the four Komrade services on 127.0.0.1, prints
where they listen and writes $KOMRADE_STATE_DIR/cluster.json (default ./.komrade).
Ctrl-C or SIGTERM stops everything.

  --onion          also start tor with a v3 onion service in front of the operator
                   (needs the Tor network, i.e. internet); the address is printed and
                   recorded in cluster.json, and stays the same across restarts
  --onion-testnet  the same on a private Tor network on this machine (offline demo)`;

function parseCommandLine(): { help: boolean; onion?: 'tor' | 'testnet' } | undefined {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        help: { type: 'boolean', short: 'h' },
        onion: { type: 'boolean' },
        'onion-testnet': { type: 'boolean' },
      },
      strict: true,
    });
    if (values.onion && values['onion-testnet'])
      throw new Error('choose --onion or --onion-testnet, not both');
    const onion = values.onion ? 'tor' : values['onion-testnet'] ? 'testnet' : undefined;
    return { help: values.help ?? false, ...(onion ? { onion } : {}) };
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const args = parseCommandLine();
  if (!args) return 2;
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const stateDir = resolve(repoRoot, process.env['KOMRADE_STATE_DIR'] || '.komrade');

  const missing = missingBinaries(
    args.onion ? ['nats-server', 'redis-server', 'tor'] : ['nats-server', 'redis-server'],
  );
  if (missing.length > 0) {
    console.error(`Missing: ${missing.join(', ')}. Install with:\n  ${installCommand(missing)}`);
    return 1;
  }

  // Signals: during the start they cancel it; afterwards they stop the cluster. The
  // same signal often arrives twice (from the terminal's process group and forwarded
  // by scripts/start.mjs): stopping is idempotent and bounded, so repeats are ignored.
  const stopRequested = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      stopRequested.abort();
    });
  }

  console.log(`Starting a Komrade relay (state in ${stateDir}) ...`);
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({
      stateDir,
      env: process.env,
      signal: stopRequested.signal,
      onProgress: (m) => {
        console.log(`  ${m}`);
      },
    });
  } catch (e) {
    if (stopRequested.signal.aborted) {
      console.log('Start cancelled; everything started so far is stopped.');
      return 0;
    }
    console.error(`\nCould not start the relay: ${e instanceof Error ? e.message : String(e)}`);
    console.error(`Logs: ${resolve(stateDir, 'logs')}`);
    return 1;
  }

  let onion: OnionService | undefined;
  if (args.onion) {
    try {
      onion = await startOnionService({
        stateDir,
        operatorPort: Number(new URL(cluster.info.operator.url).port),
        network: args.onion,
        onProgress: (m) => {
          console.log(`  ${m}`);
        },
      });
      await writeClusterFile(stateDir, {
        ...cluster.info,
        onion: {
          address: onion.address,
          socksUrl: onion.socksUrl,
          network: onion.network,
          bootstrapped: onion.bootstrapped,
          pids: onion.pids,
        },
      });
    } catch (e) {
      console.error(
        `\nCould not start the onion service: ${e instanceof Error ? e.message : String(e)}`,
      );
      await cluster.stop();
      return 1;
    }
  }

  const { info } = cluster;
  if (onion)
    console.log(`
Onion service (${onion.network === 'tor' ? 'Tor network' : 'private test network'}):
  http://${onion.address}
  clients: komrade --operator http://${onion.address} --tor ${onion.socksUrl} ...${
    onion.bootstrapped
      ? ''
      : '\n  WARNING: tor has not reached the Tor network yet (offline?); the address works once it does.'
  }`);
  console.log(`
Komrade relay "${info.relay}" is running.
  operator   ${info.operator.url}   (try: curl ${info.operator.url}/v1/info)
  NATS       ${info.nats.url}
  Redis      ${info.redis.url}   (memory only, nothing saved to disk)
  state      ${cluster.clusterFile}
  logs       ${info.logsDir}/
Ctrl-C to stop.`);

  const stopped = new Promise<'signal'>((r) => {
    stopRequested.signal.addEventListener(
      'abort',
      () => {
        r('signal');
      },
      { once: true },
    );
  });
  const reason = await Promise.race([stopped, cluster.unexpectedExit]);
  if (reason !== 'signal')
    console.error(
      `\n${reason} stopped unexpectedly (see ${info.logsDir}/${reason}.log); stopping the relay.`,
    );
  else console.log('\nStopping ...');
  await onion?.stop();
  await cluster.stop();
  console.log('Stopped. No Komrade process is left running.');
  return reason === 'signal' ? 0 : 1;
}

process.exitCode = await main();
