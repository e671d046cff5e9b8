/** The human summary: the verdict first, a table of the metrics, a chart per metric, the judge. */
import type { Measurement, MetricOutcome } from '../../monitor/analysis/loop.ts';
import type { Block, Summary } from '../../report/summary.ts';
import { formatNumber, formatValue } from '../../report/summary.ts';
import type { Executed, Target } from './execute.ts';

const HEADLINE = { passed: 'passed', failed: 'FAILED', inconclusive: 'inconclusive' } as const;

export function buildSummary(e: Executed, t: Target): Summary {
  const r = e.result;
  const blocks: Block[] = [
    {
      kind: 'table',
      columns: ['metric', 'outcome', 'ok', 'failed', 'inconclusive', 'errors', 'why'],
      numeric: [false, false, true, true, true, true, false],
      rows: r.metrics.map((m) => row(m)),
    },
  ];
  for (const m of r.metrics) {
    const mine = r.measurements.filter((x) => x.metric === m.name);
    const chart = chartOf(m.name, mine, Boolean(t.stable));
    if (chart) blocks.push(chart);
  }
  if (e.judge) {
    blocks.push({ kind: 'heading', text: `Judge: ${e.judge.verdict}, score ${formatNumber(e.judge.score)}` });
    blocks.push({
      kind: 'table',
      columns: ['metric', 'classification', 'p-value', 'canary mean', 'stable mean', 'ratio'],
      numeric: [false, false, true, true, true, true],
      rows: e.judge.metrics.map((j) => [
        j.name,
        j.classification,
        formatValue(j.pValue),
        formatValue(j.canary.mean),
        formatValue(j.stable.mean),
        formatValue(j.ratio),
      ]),
    });
  }
  const problems = r.measurements.filter((x) => x.phase !== 'successful');
  if (problems.length)
    blocks.push({
      kind: 'details',
      title: `Measurements that did not succeed (${problems.length})`,
      blocks: [
        {
          kind: 'table',
          columns: ['metric', '#', 'phase', 'detail'],
          rows: problems.map((x) => [x.metric, String(x.index), x.phase, x.detail]),
        },
      ],
    });
  return {
    title: `Monitor gate ${t.app} ${t.canary}`,
    passed: r.verdict === 'passed',
    headline: `${t.app} ${t.canary} ${HEADLINE[r.verdict]}${t.stable ? ` against ${t.stable}` : ''} after ${r.made} measurement${r.made === 1 ? '' : 's'}: ${r.reason}`,
    blocks,
  };
}

function row(m: MetricOutcome): string[] {
  const t = m.tally;
  return [
    m.name,
    m.phase,
    String(t.successful),
    String(t.failed),
    String(t.inconclusive),
    String(t.error),
    m.why,
  ];
}

/** Canary (first line) and stable (second) over the measurements; an error is drawn as 0. */
function chartOf(name: string, ms: Measurement[], stable: boolean): Block | undefined {
  if (!ms.some((x) => x.value !== undefined)) return undefined;
  const series = (pick: (x: Measurement) => number | undefined) =>
    ms.map((x) => Number((pick(x) ?? 0).toPrecision(4))).join(', ');
  const withStable = stable && ms.some((x) => x.stable !== undefined);
  const lines = [
    'xychart-beta',
    `  title "${name}${withStable ? ': canary (first line) vs stable' : ''}"`,
    `  x-axis "measurement" [${ms.map((x) => String(x.index)).join(', ')}]`,
    `  line [${series((x) => x.value)}]`,
  ];
  if (withStable) lines.push(`  line [${series((x) => x.stable)}]`);
  return { kind: 'mermaid', source: lines.join('\n') };
}
