import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceName } from '@komrade/protocol';

export const CLUSTER_FILE_NAME = 'cluster.json';
/** 2: each service gained `metrics` (its Prometheus endpoint, or null). */
export const CLUSTER_FILE_VERSION = 2;

/** A service's Prometheus endpoint on 127.0.0.1 (GET `url` returns the text format). */
export interface MetricsEndpoint {
  /** `http://127.0.0.1:<port>/metrics` */
  readonly url: string;
  readonly port: number;
}

/**
 * `<stateDir>/cluster.json`: what a running local cluster is made of, for tools and
 * tests. Written once everything answers its health check; removed on a clean stop.
 */
export interface ClusterFile {
  readonly version: typeof CLUSTER_FILE_VERSION;
  readonly relay: string;
  /** ISO 8601 time at which the cluster became healthy. */
  readonly startedAt: string;
  readonly stateDir: string;
  readonly logsDir: string;
  /** The process that started the cluster and stops it on SIGINT/SIGTERM. */
  readonly supervisor: { readonly pid: number };
  readonly operator: { readonly url: string; readonly pid: number };
  readonly nats: { readonly url: string; readonly port: number; readonly pid: number };
  readonly redis: { readonly url: string; readonly port: number; readonly pid: number };
  /**
   * Each service's PID and metrics endpoint; `metrics` is null for a service that
   * exports no metrics (absent in version 1 files).
   */
  /** Present when started with --onion or --onion-testnet. */
  readonly onion?: {
    readonly address: string;
    readonly socksUrl: string;
    readonly network: 'tor' | 'testnet';
    readonly bootstrapped: boolean;
    readonly pids: readonly number[];
  };
  readonly services: {
    readonly [S in ServiceName]: {
      readonly pid: number;
      readonly metrics: MetricsEndpoint | null;
    };
  };
}

export function clusterFilePath(stateDir: string): string {
  return join(stateDir, CLUSTER_FILE_NAME);
}

/** Writes atomically (temp file + rename), so a reader never sees half a file. */
export async function writeClusterFile(stateDir: string, c: ClusterFile): Promise<string> {
  const path = clusterFilePath(stateDir);
  const temp = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temp, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
  return path;
}

/** The cluster file in `stateDir`, or undefined when there is none. */
export async function readClusterFile(stateDir: string): Promise<ClusterFile | undefined> {
  let text: string;
  try {
    text = await readFile(clusterFilePath(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as ClusterFile;
}

export async function removeClusterFile(stateDir: string): Promise<void> {
  await rm(clusterFilePath(stateDir), { force: true });
}

/** Every PID a cluster file names. */
export function clusterPids(c: ClusterFile): number[] {
  return [
    c.supervisor.pid,
    c.nats.pid,
    c.redis.pid,
    ...Object.values(c.services).map((s) => s.pid),
  ];
}
