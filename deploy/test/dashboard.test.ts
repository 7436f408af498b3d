// Unit test (no servers): the Grafana dashboard and the Prometheus scrape config in
// deploy/ stay true to the metrics the services export. The list of exported metrics is
// read from the services' source (every createCounter / createHistogram / create*Gauge
// call), never typed in here, so a renamed or new metric fails this test until the
// dashboard follows.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { SERVICES } from '@komrade/protocol';
import { parse as parseYaml } from 'yaml';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const DASHBOARD = 'deploy/grafana/komrade-relay.json';
const SCRAPE_CONFIG = 'deploy/prometheus/prometheus.yml';

/**
 * Exported metrics the dashboard deliberately shows no panel for, each with the reason.
 * Empty today: every metric has a panel. Add `['name', 'why']` only with a reason.
 */
const DELIBERATELY_OMITTED: ReadonlyMap<string, string> = new Map<string, string>([]);

/**
 * Histograms of a count of things, which have no unit to end their name with; each with
 * the reason. Add one only when the value really is a plain count.
 */
const COUNT_HISTOGRAMS: ReadonlyMap<string, string> = new Map([
  [
    'komrade_fanout_size',
    'member mailboxes one collective post was copied into (issue 5 names it)',
  ],
]);

/**
 * Series the dashboard may use that no service exports, because Prometheus makes them
 * itself for every target.
 */
const PROMETHEUS_SERIES: ReadonlyMap<string, string> = new Map([
  ['up', 'set by Prometheus per target: 1 when the last scrape succeeded'],
]);

// --- exported metrics, from the source -------------------------------------------------

type InstrumentKind = 'counter' | 'updowncounter' | 'histogram' | 'gauge';

interface ExportedMetric {
  /** The name as Prometheus shows it (a counter gains `_total`). */
  readonly name: string;
  readonly kind: InstrumentKind;
  /** Where it is created, relative to the repository. */
  readonly file: string;
}

const INSTRUMENT_KIND: Readonly<Record<string, InstrumentKind>> = {
  Counter: 'counter',
  ObservableCounter: 'counter',
  UpDownCounter: 'updowncounter',
  ObservableUpDownCounter: 'updowncounter',
  Histogram: 'histogram',
  Gauge: 'gauge',
  ObservableGauge: 'gauge',
};

/** Any instrument creation call, whatever its argument. */
const ANY_CREATE = /\.create(Observable)?(UpDown)?(Counter|Histogram|Gauge)\s*\(/g;
/** One whose first argument is a string literal: the only form this scanner can read. */
const LITERAL_CREATE =
  /\.create((?:Observable)?(?:UpDown)?(?:Counter|Histogram|Gauge))\s*\(\s*(['"`])([^'"`$]+)\2/g;

/** Every .ts file under `dir`, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** The source directories scanned: services/<each>/src, which includes services/runtime. */
function serviceSourceDirs(): string[] {
  const services = join(repoRoot, 'services');
  return readdirSync(services, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(services, d.name, 'src'))
    .filter((d) => {
      try {
        return readdirSync(d).length > 0;
      } catch {
        return false;
      }
    });
}

/**
 * What the OpenTelemetry Prometheus exporter calls an instrument: characters Prometheus
 * does not allow become `_`, and a monotonic counter ends in `_total`.
 */
function prometheusName(otelName: string, kind: InstrumentKind): string {
  const name = otelName.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  return kind === 'counter' && !name.endsWith('_total') ? `${name}_total` : name;
}

function scanExportedMetrics(): { metrics: ExportedMetric[]; unreadable: string[] } {
  const metrics: ExportedMetric[] = [];
  const unreadable: string[] = [];
  for (const dir of serviceSourceDirs())
    for (const path of tsFiles(dir)) {
      const source = readFileSync(path, 'utf8');
      const file = relative(repoRoot, path);
      const all = source.match(ANY_CREATE)?.length ?? 0;
      let literal = 0;
      for (const m of source.matchAll(LITERAL_CREATE)) {
        const kind = INSTRUMENT_KIND[m[1] ?? ''];
        if (!kind || !m[3]) continue;
        literal++;
        metrics.push({ name: prometheusName(m[3], kind), kind, file });
      }
      if (literal !== all)
        unreadable.push(`${file}: ${String(all - literal)} instrument(s) not named by a literal`);
    }
  return { metrics, unreadable };
}

// --- PromQL ---------------------------------------------------------------------------

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'atan2',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * Metric names a PromQL expression selects: strings, label matchers, ranges, grouping
 * clauses and Grafana variables are removed, then every remaining identifier that is not
 * a function or aggregation (followed by "(") nor a keyword is a metric name.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' "" ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:.])[a-zA-Z_:][\w:]*/g)) {
    const word = m[0];
    const rest = stripped.slice(m.index + word.length).trimStart();
    if (rest.startsWith('(') || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/**
 * The metric a series name belongs to, or undefined when no service exports it. A
 * histogram exists only as its `_bucket`, `_sum` and `_count` series.
 */
function resolveSeries(
  series: string,
  exported: ReadonlyMap<string, ExportedMetric>,
): ExportedMetric | undefined {
  const exact = exported.get(series);
  if (exact) return exact.kind === 'histogram' ? undefined : exact;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const base = m?.[1] ? exported.get(m[1]) : undefined;
  return base?.kind === 'histogram' ? base : undefined;
}

// --- the dashboard --------------------------------------------------------------------

interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: unknown;
}

interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly datasource?: unknown;
  readonly gridPos?: { h: number; w: number; x: number; y: number };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}

interface Dashboard {
  readonly uid?: string;
  readonly title?: string;
  readonly schemaVersion?: number;
  readonly templating?: { readonly list?: readonly Record<string, unknown>[] };
  readonly panels?: readonly Panel[];
}

/** Every panel, with the panels of collapsed rows. */
function allPanels(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: readonly Panel[] | undefined): void => {
    for (const p of ps ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

interface Query {
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL query: panel targets, and the queries of query variables. */
function queriesOf(d: Dashboard): Query[] {
  const out: Query[] = [];
  for (const p of allPanels(d))
    for (const t of p.targets ?? [])
      if (typeof t.expr === 'string')
        out.push({ where: `panel "${p.title ?? String(p.id)}" ${t.refId ?? ''}`, expr: t.expr });
  for (const v of d.templating?.list ?? []) {
    if (v['type'] !== 'query') continue;
    const q = v['query'];
    const text = typeof q === 'string' ? q : (q as { query?: unknown } | undefined)?.query;
    if (typeof text !== 'string') continue;
    // label_values(metric, label) and friends: the selector is the first argument
    const fn = /^\s*(?:label_values|query_result)\s*\(([\s\S]*)\)\s*$/.exec(text);
    const expr = fn?.[1] ? fn[1].replace(/,\s*\w+\s*$/, '') : text;
    out.push({ where: `variable "${String(v['name'])}"`, expr });
  }
  return out;
}

/** Queries that use a series no service exports (and Prometheus does not make). */
function unknownSeries(d: Dashboard, exported: ReadonlyMap<string, ExportedMetric>): string[] {
  const problems: string[] = [];
  for (const q of queriesOf(d))
    for (const name of metricNamesIn(q.expr))
      if (!resolveSeries(name, exported) && !PROMETHEUS_SERIES.has(name))
        problems.push(`${q.where}: ${name} is not a metric any service exports`);
  return problems;
}

/** Exported metrics that no dashboard query uses. */
function unusedMetrics(d: Dashboard, exported: ReadonlyMap<string, ExportedMetric>): string[] {
  const used = new Set<string>();
  for (const q of queriesOf(d))
    for (const name of metricNamesIn(q.expr)) {
      const m = resolveSeries(name, exported);
      if (m) used.add(m.name);
    }
  return [...exported.keys()].filter((n) => !used.has(n));
}

function readDashboard(path: string): Dashboard {
  return JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as Dashboard;
}

function exportedByName(): Map<string, ExportedMetric> {
  const { metrics } = scanExportedMetrics();
  return new Map(metrics.map((m) => [m.name, m]));
}

// --- tests ----------------------------------------------------------------------------

describe('exported metrics, read from the services source', () => {
  test('every instrument is created with a literal name the scanner can read', () => {
    const { metrics, unreadable } = scanExportedMetrics();
    assert.deepEqual(unreadable, []);
    assert.ok(metrics.length > 0, 'the scanner finds instruments');
    // the process metrics every service registers (also scraped by the npm-start test)
    assert.ok(metrics.some((m) => m.name === 'komrade_process_resident_memory_bytes'));
    const files = new Set(metrics.map((m) => m.file));
    for (const f of files) assert.match(f, /^services\/[^/]+\/src\//);
  });

  test('no metric name is created twice with different kinds', () => {
    const kinds = new Map<string, Set<string>>();
    for (const m of scanExportedMetrics().metrics) {
      const k = kinds.get(m.name) ?? new Set<string>();
      k.add(m.kind);
      kinds.set(m.name, k);
    }
    const mixed = [...kinds].filter(([, k]) => k.size > 1).map(([n]) => n);
    assert.deepEqual(mixed, []);
  });

  test('metric names follow the Prometheus conventions of this project', () => {
    for (const m of scanExportedMetrics().metrics) {
      assert.match(m.name, /^komrade_[a-z0-9_]+$/, `${m.name} (${m.file})`);
      if (m.kind === 'counter') assert.match(m.name, /_total$/, m.name);
      if (m.kind === 'histogram' && !COUNT_HISTOGRAMS.has(m.name))
        assert.match(m.name, /_(seconds|bytes)$/, `${m.name}: a unit`);
    }
  });
});

describe('PromQL metric-name extraction', () => {
  const cases: [string, string[]][] = [
    [
      'histogram_quantile(0.99, sum by (le, route) (rate(komrade_http_request_duration_seconds_bucket{route!="/v1/info"}[$__rate_interval])))',
      ['komrade_http_request_duration_seconds_bucket'],
    ],
    [
      'sum(rate(a_total{outcome!="accepted"}[5m])) / clamp_min(sum(rate(a_total[5m])), 1e-9)',
      ['a_total'],
    ],
    ['sum(rate(x_sum[10m])) / sum(rate(x_count[10m]))', ['x_sum', 'x_count']],
    ['max by (state) (pending) offset 5m', ['pending']],
    ['up{job=~"komrade-.*"} == bool 1 and on(instance) other', ['up', 'other']],
    ['sum without (instance) (rate(c[${window}])) > 0.5', ['c']],
    ['topk(3, sum(rate(y_total{a="by (x)", b=\'{z}\'}[1m])) by (a))', ['y_total']],
  ];
  for (const [expr, names] of cases)
    test(expr, () => {
      assert.deepEqual(metricNamesIn(expr).sort(), [...names].sort());
    });

  test('a misspelled or bare histogram name is reported', () => {
    const exported = exportedByName();
    const bad: Dashboard = {
      panels: [
        {
          title: 't',
          targets: [
            { refId: 'A', expr: 'sum(rate(komrade_envelope_total[5m]))' },
            { refId: 'B', expr: 'komrade_sort_duration_seconds' },
            { refId: 'C', expr: 'komrade_process_resident_memory_bytes_count' },
          ],
        },
      ],
    };
    assert.deepEqual(
      unknownSeries(bad, exported).map((p) => p.replace(/ is not .*/, '')),
      [
        'panel "t" A: komrade_envelope_total',
        'panel "t" B: komrade_sort_duration_seconds',
        'panel "t" C: komrade_process_resident_memory_bytes_count',
      ],
    );
  });
});

describe(DASHBOARD, () => {
  const dashboard = readDashboard(DASHBOARD);

  test('every query uses only metrics the services export', () => {
    assert.ok(queriesOf(dashboard).length > 0);
    assert.deepEqual(unknownSeries(dashboard, exportedByName()), []);
  });

  test('every exported metric has a panel (or a reason to have none)', () => {
    const exported = exportedByName();
    const missing = unusedMetrics(dashboard, exported).filter((n) => !DELIBERATELY_OMITTED.has(n));
    assert.deepEqual(missing, [], 'add a panel for these, or list them in DELIBERATELY_OMITTED');
    for (const n of DELIBERATELY_OMITTED.keys())
      assert.ok(exported.has(n), `DELIBERATELY_OMITTED lists ${n}, which no service exports`);
  });

  test('is a Grafana dashboard with a Prometheus datasource variable and no fixed uid', () => {
    assert.equal(dashboard.uid, 'komrade-relay');
    assert.ok(
      (dashboard.schemaVersion ?? 0) >= 36 && (dashboard.schemaVersion ?? 0) <= 41,
      `schemaVersion ${String(dashboard.schemaVersion)}`,
    );
    const vars = dashboard.templating?.list ?? [];
    const ds = vars.find((v) => v['name'] === 'datasource');
    assert.ok(ds, 'a "datasource" variable');
    assert.equal(ds['type'], 'datasource');
    assert.equal(ds['query'], 'prometheus');
    assert.equal('__inputs' in dashboard, false, 'no import-time inputs: the variable picks');

    // Every datasource reference anywhere is the variable.
    const refs: unknown[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null)
        for (const [k, child] of Object.entries(v)) {
          if (k === 'datasource') refs.push(child);
          walk(child);
        }
    };
    walk(dashboard);
    assert.ok(refs.length > 0);
    for (const r of refs)
      assert.deepEqual(r, { type: 'prometheus', uid: '${datasource}' }, JSON.stringify(r));
  });

  test('panels have unique ids, fit the 24-column grid, and every graph has a query', () => {
    const panels = allPanels(dashboard);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const p of panels) {
      const g = p.gridPos;
      assert.ok(g, `${String(p.title)}: gridPos`);
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${String(p.title)}: within 24 columns`);
      if (p.type === 'row') continue;
      assert.ok((p.targets ?? []).length > 0, `${String(p.title)}: a query`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${String(p.title)}: unique refIds`);
      for (const t of p.targets ?? [])
        assert.ok(t.expr?.trim(), `${String(p.title)} ${String(t.refId)}: an expr`);
    }
  });
});

describe('docs/observability.md', () => {
  test('lists every exported metric', () => {
    const doc = readFileSync(join(repoRoot, 'docs/observability.md'), 'utf8');
    const undocumented = [...exportedByName().keys()].filter((n) => !doc.includes(`\`${n}\``));
    assert.deepEqual(undocumented, [], 'add a row for these to the metrics tables');
  });
});

describe(SCRAPE_CONFIG, () => {
  interface ScrapeConfig {
    readonly job_name?: unknown;
    readonly metrics_path?: unknown;
    readonly static_configs?: readonly { targets?: unknown; labels?: unknown }[];
    readonly [key: string]: unknown;
  }
  const config = parseYaml(readFileSync(join(repoRoot, SCRAPE_CONFIG), 'utf8')) as {
    scrape_configs?: readonly ScrapeConfig[];
    global?: { external_labels?: unknown };
  };
  const jobs = config.scrape_configs ?? [];

  test('parses as YAML and has one job per service', () => {
    const names = jobs.map((j) => j.job_name);
    assert.deepEqual([...names].sort(), SERVICES.map((s) => `komrade-${s}`).sort());
  });

  test('scrapes /metrics on loopback only', () => {
    for (const j of jobs) {
      assert.ok(j.metrics_path === undefined || j.metrics_path === '/metrics');
      assert.ok((j.static_configs ?? []).length > 0, `${String(j.job_name)}: static targets`);
      for (const sc of j.static_configs ?? []) {
        assert.ok(Array.isArray(sc.targets) && sc.targets.length > 0);
        for (const t of sc.targets as unknown[])
          assert.match(String(t), /^(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/, String(t));
      }
    }
  });

  test('adds no labels (nothing that could identify anyone)', () => {
    assert.equal(config.global?.external_labels, undefined);
    for (const j of jobs) {
      for (const sc of j.static_configs ?? []) assert.equal(sc.labels, undefined);
      assert.equal(j['relabel_configs'], undefined, `${String(j.job_name)}: relabel_configs`);
      assert.equal(j['metric_relabel_configs'], undefined);
    }
  });

  test('the dashboard selects the jobs by the names used here', () => {
    const dashboardText = readFileSync(join(repoRoot, DASHBOARD), 'utf8');
    for (const j of jobs) assert.match(String(j.job_name), /^komrade-/);
    assert.ok(dashboardText.includes('job=~\\"komrade-.*\\"'));
  });
});
