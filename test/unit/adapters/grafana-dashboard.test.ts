import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { observeRequests } from '../../../src/adapters/http/metrics.js';
import { createMetrics } from '../../../src/adapters/observability/metrics.js';

const read = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), 'utf8');

// PromQL words that are not metric names when they stand alone (functions are skipped by
// the "(" that follows them, labels by dropping every matcher, grouping and duration).
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);
/** Series Prometheus makes itself for every target, not the service. */
const PROMETHEUS_OWN = new Set(['up']);
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** The metric names a PromQL expression reads. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, Grafana variables)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables outside strings ($__interval)
  const names: string[] = [];
  for (const [, word, call] of bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (!call && !KEYWORDS.has(word!.toLowerCase())) names.push(word!);
  }
  return names;
}

/** Every `expr:` of a rules file, folded (`>-`) blocks included, and its recording rules. */
function rules(yaml: string): { exprs: string[]; records: Set<string> } {
  const exprs: string[] = [];
  const lines = yaml.split('\n');
  lines.forEach((line, i) => {
    const match = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!match) return;
    if (match[2] !== '>-') return void exprs.push(match[2]!);
    const block: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j]!;
      if (next.trim() && next.search(/\S/) <= match[1]!.length) break;
      block.push(next.trim());
    }
    exprs.push(block.join(' '));
  });
  const records = new Set([...yaml.matchAll(/^\s*- record: (\S+)$/gm)].map((m) => m[1]!));
  return { exprs, records };
}

interface Panel {
  readonly type: string;
  readonly title?: string;
  readonly id?: number;
  readonly datasource?: { readonly uid?: string };
  readonly targets?: { readonly expr?: string }[];
  readonly panels?: Panel[];
}

const dashboard = JSON.parse(read('deploy/grafana/sync-scheduler.json')) as {
  schemaVersion: number;
  __inputs: { name: string; type: string; pluginId: string }[];
  panels: Panel[];
  templating: { list: { definition?: string }[] };
};
const allPanels = (panels: Panel[]): Panel[] =>
  panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
const panels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');

/** Names and types of every metric the real registry holds (HTTP histogram included). */
async function exported(): Promise<Map<string, string>> {
  const metrics = createMetrics();
  observeRequests(metrics.registry, () => {});
  const all = await metrics.registry.getMetricsAsJSON();
  return new Map(all.map((metric) => [metric.name, String(metric.type)]));
}

/** Which of `names` the service does not export (a histogram's series by their base name). */
function unknown(names: string[], known: Map<string, string>, ignored: Set<string>): string[] {
  return [
    ...new Set(
      names.filter((name) => {
        if (known.has(name) || ignored.has(name) || PROMETHEUS_OWN.has(name)) return false;
        const base = name.replace(HISTOGRAM_SUFFIX, '');
        return !(base !== name && known.get(base) === 'histogram');
      }),
    ),
  ];
}

describe('metricNames', () => {
  it('finds the metrics and skips functions, labels, ranges and variables', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, type) (rate(a_seconds_bucket{job=~"$job",le!="x"}[$__rate_interval])))',
      ),
    ).toEqual(['a_seconds_bucket']);
    expect(
      metricNames(
        '(time() - max by (job, type) (b_ts)) / on (type) group_left max without (state) (c) > 2 or absent(d{x="y"}) unless e offset 5m',
      ),
    ).toEqual(['b_ts', 'c', 'd', 'e']);
    expect(metricNames('sync_scheduler:leaders:sum == 0')).toEqual(['sync_scheduler:leaders:sum']);
  });
});

describe('Grafana dashboard deploy/grafana/sync-scheduler.json', () => {
  it('is an importable dashboard on a ${DS_PROMETHEUS} input', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({
        name: 'DS_PROMETHEUS',
        type: 'datasource',
        pluginId: 'prometheus',
      }),
    );
    const ids = allPanels(dashboard.panels).map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('reads only metrics the service exports', async () => {
    const known = await exported();
    const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr ?? ''));
    const variables = dashboard.templating.list.map((v) => v.definition ?? '');
    const names = [
      ...exprs.flatMap(metricNames),
      ...variables.flatMap((query) =>
        [...query.matchAll(/label_values\((\w+),/g)].map((m) => m[1]!),
      ),
    ];
    expect(new Set(names).size).toBeGreaterThan(15);
    expect(unknown(names, known, new Set())).toEqual([]);
  });

  it('shows what an on-call looks for', () => {
    const shown = new Set(
      panels.flatMap((panel) => (panel.targets ?? []).flatMap((t) => metricNames(t.expr ?? ''))),
    );
    const wanted = [
      'sync_scheduler_leader',
      'sync_scheduler_ticks_total',
      'sync_scheduler_tick_failures_total',
      'sync_scheduler_jobs_enqueued_total',
      'sync_scheduler_jobs_deduplicated_total',
      'sync_scheduler_outcomes_total',
      'sync_scheduler_breaker_state',
      'sync_scheduler_open_pair_breakers',
      'sync_scheduler_fenced_chunks_total',
      'sync_scheduler_tick_duration_seconds_bucket',
      'sync_scheduler_queue_jobs',
      'sync_scheduler_last_tick_timestamp_seconds',
      'sync_scheduler_ready',
    ];
    expect(wanted.filter((metric) => !shown.has(metric))).toEqual([]);
  });
});

describe('Prometheus rules deploy/prometheus/alerts.yml', () => {
  it('read only metrics the service exports, or the rules recorded beside them', async () => {
    const { exprs, records } = rules(read('deploy/prometheus/alerts.yml'));
    expect(exprs.length).toBeGreaterThan(10);
    expect(records.size).toBeGreaterThan(0);
    const names = exprs.flatMap(metricNames);
    expect(unknown(names, await exported(), records)).toEqual([]);
    // Every recording rule is used, and none shadows an exported name.
    for (const record of records) expect(names).toContain(record);
  });
});
