/**
 * The dashboard against Grafana's dashboard model. No JSON Schema of it ships in a package this
 * repository can use offline (@grafana/schema has TypeScript types only), so this checks the
 * fields that model requires and what Grafana needs to render each panel: the required fields
 * and types of Dashboard, Panel, GridPos, DataSourceRef and VariableModel as the types declare
 * them, panels on the 24-column grid without overlap, every variable used defined.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVE_METRICS } from '../signals.ts';
import { dashboardFor, SCHEMA_VERSION } from './dashboard.ts';

type Json = Record<string, unknown>;

const VARIABLE_TYPES = new Set([
  'query',
  'adhoc',
  'groupby',
  'constant',
  'datasource',
  'interval',
  'textbox',
  'custom',
  'system',
  'snapshot',
  'switch',
]);
/** Grafana's own variables a query may use without declaring them. */
const BUILT_IN = new Set(['__rate_interval', '__interval', '__range', '__all']);

/** Problems with `d` as a Grafana dashboard model; empty when none. */
function dashboardProblems(d: Json): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  need(Number.isInteger(d.schemaVersion), 'schemaVersion is an integer');
  need(
    typeof d.title === 'string' && typeof d.uid === 'string' && (d.uid as string).length <= 40,
    'title, uid',
  );
  const list = ((d.templating as Json | undefined)?.list ?? []) as Json[];
  need(Array.isArray(list), 'templating.list is an array');
  const declared = new Set<string>();
  for (const v of list) {
    need(
      typeof v.name === 'string' && VARIABLE_TYPES.has(v.type as string),
      `variable ${v.name}: name and type`,
    );
    if (v.type === 'query') need(isRef(v.datasource), `variable ${v.name}: datasource ref`);
    declared.add(v.name as string);
  }
  const panels = d.panels as Json[];
  need(Array.isArray(panels) && panels.length > 0, 'panels');
  const ids = new Set<unknown>();
  const cells = new Set<string>();
  for (const p of panels ?? []) {
    const at = `panel ${p.title}`;
    need(typeof p.type === 'string' && Number.isInteger(p.id) && !ids.has(p.id), `${at}: type and unique id`);
    ids.add(p.id);
    const g = p.gridPos as Json;
    const [h, w, x, y] = [g?.h, g?.w, g?.x, g?.y] as number[];
    need([h, w, x, y].every(Number.isInteger) && x! >= 0 && w! > 0 && x! + w! <= 24, `${at}: gridPos`);
    for (let r = y!; r < y! + h!; r++)
      for (let c = x!; c < x! + w!; c++) {
        need(!cells.has(`${r},${c}`), `${at}: overlaps another panel`);
        cells.add(`${r},${c}`);
      }
    need(isRef(p.datasource), `${at}: datasource ref`);
    if (p.repeat !== undefined)
      need(declared.has(p.repeat as string), `${at}: repeats an undeclared variable`);
    const targets = p.targets as Json[];
    need(Array.isArray(targets) && targets.length > 0, `${at}: targets`);
    const refIds = (targets ?? []).map((t) => t.refId);
    need(
      new Set(refIds).size === refIds.length && refIds.every((r) => typeof r === 'string'),
      `${at}: refIds`,
    );
    for (const t of targets ?? []) need(typeof t.expr === 'string' && isRef(t.datasource), `${at}: target`);
  }
  for (const used of JSON.stringify(d).matchAll(/\$\{?(\w+)/g))
    need(declared.has(used[1]!) || BUILT_IN.has(used[1]!), `variable $${used[1]} is used but not declared`);
  return problems;
}

const isRef = (r: unknown) => typeof r === 'object' && r !== null && typeof (r as Json).uid === 'string';

describe('dashboardFor', () => {
  const d = dashboardFor({ app: 'iris', namespace: 'models' });

  it("is a dashboard Grafana's model accepts", () => {
    assert.deepEqual(dashboardProblems(d), []);
    assert.equal(d.schemaVersion, SCHEMA_VERSION);
  });

  it('the check catches what Grafana would refuse', () => {
    const broken = structuredClone(d) as { panels: Json[]; templating: { list: Json[] } };
    broken.panels[1]!.gridPos = { h: 8, w: 12, x: 0, y: 0 };
    broken.templating.list.pop();
    const problems = dashboardProblems(broken as unknown as Json);
    assert.ok(problems.includes('panel Errors (5xx share): overlaps another panel'), problems.join('\n'));
    assert.ok(problems.includes('variable $version is used but not declared'), problems.join('\n'));
  });

  it('shows traffic, errors, latency quantiles and stacked class shares per version', () => {
    const panels = d.panels as { title: string; targets: { expr: string }[]; repeat?: string }[];
    assert.deepEqual(
      panels.map((p) => p.title),
      ['Traffic (requests/s)', 'Errors (5xx share)', 'Latency (p50, p95, p99)', 'Class shares: $version'],
    );
    for (const p of panels) for (const t of p.targets) assert.match(t.expr, /version=~"\$version"/);
    assert.deepEqual(
      panels[2]!.targets.map((t) => t.expr.match(/histogram_quantile\(([\d.]+)/)?.[1]),
      ['0.5', '0.95', '0.99'],
    );
    assert.match(panels[3]!.targets[0]!.expr, new RegExp(SERVE_METRICS.predictions.name));
    assert.equal(panels[3]!.repeat, 'version');
    const version = (d.templating as { list: { name: string; query: string }[] }).list[1]!;
    assert.equal(
      version.query,
      `label_values(${SERVE_METRICS.requests.name}{app="iris",namespace="models"}, version)`,
    );
  });

  it('keeps its uid across regenerations and apart between apps', () => {
    assert.equal(dashboardFor({ app: 'iris', namespace: 'models' }).uid, d.uid);
    assert.notEqual(dashboardFor({ app: 'iris', namespace: 'staging' }).uid, d.uid);
  });
});
