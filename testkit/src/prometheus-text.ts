/** Parses Prometheus text exposition into `name{labels}` -> value. */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of every series of `name` whose labels include `labels`. */
export function sumMetric(
  m: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  for (const [k, v] of m) {
    const base = k.split('{')[0];
    if (base !== name) continue;
    if (Object.entries(labels).every(([l, val]) => k.includes(`${l}="${val}"`))) total += v;
  }
  return total;
}

/** Scrapes one Prometheus endpoint and sums `name` over the series matching `labels`. */
export async function scrapeMetric(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return sumMetric(parseProm(await (await fetch(url)).text()), name, labels);
}
