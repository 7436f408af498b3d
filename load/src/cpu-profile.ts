import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileCost {
  readonly name: string;
  /** Share of the process's sampled time, percent. */
  readonly selfPct: number;
}

export interface ProfileSummary {
  readonly sampledSec: number;
  /** Self time grouped by package (node_modules name, "node:internal", "komrade/<pkg>", V8 pseudo-frames). */
  readonly byPackage: readonly ProfileCost[];
  /** The most expensive functions by self time. */
  readonly topFunctions: readonly ProfileCost[];
}

/** Which package a frame's script belongs to, from its file URL. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const m = /\/(protocol|client|services\/[a-z]+|load|deploy|testkit)\/dist\//.exec(url);
  return m ? `komrade/${m[1] ?? ''}` : url;
}

/** Summarises one V8 .cpuprofile: self time by package and the top functions. */
export function summarizeProfile(p: CpuProfile, top = 12): ProfileSummary {
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let total = 0;
  samples.forEach((id, i) => {
    const dt = Math.max(0, deltas[i] ?? 0);
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byPkg = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    if (t === 0) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const pkg = packageOf(url, functionName);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
    const fn = `${functionName || '(anonymous)'} ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
  }
  const ranked = (m: Map<string, number>, n: number): ProfileCost[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, t]) => ({ name, selfPct: Math.round((t / Math.max(1, total)) * 1000) / 10 }));
  return {
    sampledSec: total / 1e6,
    byPackage: ranked(byPkg, 10),
    topFunctions: ranked(byFn, top),
  };
}

/** Reads every CPU profile node wrote into `dir`, keyed by the service whose pid wrote it. */
export async function summarizeProfiles(
  dir: string,
  pids: Record<string, number>,
): Promise<Record<string, ProfileSummary>> {
  const byPid = new Map(Object.entries(pids).map(([name, pid]) => [pid, name]));
  const out: Record<string, ProfileSummary> = {};
  for (const f of await readdir(dir)) {
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile
    const m = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f);
    const name = m ? byPid.get(Number(m[1])) : undefined;
    if (!name) continue;
    const profile = JSON.parse(await readFile(join(dir, f), 'utf8')) as CpuProfile;
    out[name] = summarizeProfile(profile);
  }
  return out;
}
