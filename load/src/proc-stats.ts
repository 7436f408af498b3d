import { readFile } from 'node:fs/promises';

/** Resident set size of a process in bytes (Linux /proc), or undefined if it is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

// USER_HZ is 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far, or undefined if it is gone. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name; utime and stime are fields 14 and 15
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return Number.isFinite(utime + stime) ? (utime + stime) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** CPU use of named processes over an interval, as a fraction of one core. */
export class CpuMeter {
  private start = new Map<string, number>();
  private t0 = 0;

  constructor(private readonly pids: Record<string, number>) {}

  async begin(): Promise<void> {
    this.t0 = performance.now();
    this.start = new Map();
    for (const [name, pid] of Object.entries(this.pids)) {
      const s = await cpuSeconds(pid);
      if (s !== undefined) this.start.set(name, s);
    }
  }

  async end(): Promise<Record<string, number>> {
    const wall = (performance.now() - this.t0) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const s0 = this.start.get(name);
      const s1 = await cpuSeconds(pid);
      if (s0 !== undefined && s1 !== undefined && wall > 0)
        out[name] = Math.round(((s1 - s0) / wall) * 100) / 100;
    }
    return out;
  }
}

export interface RssSeries {
  readonly startMiB: number;
  readonly endMiB: number;
  readonly maxMiB: number;
  /** Least-squares slope over the samples after the first quarter (warm-up), MiB per minute. */
  readonly growthMiBPerMin: number;
  /**
   * True when, after the warm-up quarter, the median of the last third of the samples
   * exceeds the median of the first third by more than max(8 MiB, 10%).
   */
  readonly grew: boolean;
  readonly samples: number;
}

const MiB = 1024 * 1024;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Summarises RSS samples ([seconds since start, bytes]) of one process over a soak. */
export function rssSeries(samples: readonly (readonly [number, number])[]): RssSeries {
  if (samples.length === 0)
    return { startMiB: 0, endMiB: 0, maxMiB: 0, growthMiBPerMin: 0, grew: false, samples: 0 };
  const mib = (b: number): number => Math.round((b / MiB) * 10) / 10;
  const first = samples[0] as readonly [number, number];
  const last = samples[samples.length - 1] as readonly [number, number];
  const steady = samples.slice(Math.floor(samples.length / 4));
  const n = steady.length;
  let slope = 0;
  if (n >= 2) {
    const mx = steady.reduce((a, s) => a + s[0], 0) / n;
    const my = steady.reduce((a, s) => a + s[1], 0) / n;
    let num = 0;
    let den = 0;
    for (const [x, y] of steady) {
      num += (x - mx) * (y - my);
      den += (x - mx) ** 2;
    }
    slope = den > 0 ? num / den : 0; // bytes per second
  }
  let grew = false;
  if (n >= 3) {
    const third = Math.max(1, Math.floor(n / 3));
    const early = median(steady.slice(0, third).map((s) => s[1]));
    const late = median(steady.slice(n - third).map((s) => s[1]));
    grew = late - early > Math.max(8 * MiB, early * 0.1);
  }
  return {
    startMiB: mib(first[1]),
    endMiB: mib(last[1]),
    maxMiB: mib(Math.max(...samples.map((s) => s[1]))),
    growthMiBPerMin: Math.round(((slope * 60) / MiB) * 100) / 100,
    grew,
    samples: samples.length,
  };
}
