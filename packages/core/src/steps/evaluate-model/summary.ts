/**
 * The human summary: the verdict and the gates first, then champion against challenger with
 * arrows and intervals, a chart, speed, the confusion matrix, robustness and slices.
 */
import { type Block, formatNumber, type Summary } from '../../report/summary.ts';
import { SPEED } from './plan.ts';
import type { Report } from './report.ts';

/** Metrics where a smaller number is the better model. */
const LOWER_IS_BETTER = new Set([
  'log_loss',
  'ece',
  'mae',
  'rmse',
  'mape',
  ...SPEED.filter((s) => s !== 'throughput_rows_per_s'),
]);

const f = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatNumber(v));
const signed = (v: number) => (v > 0 ? `+${f(v)}` : f(v));

function arrow(metric: string, delta: number): string {
  if (delta === 0 || Number.isNaN(delta)) return '=';
  const better = LOWER_IS_BETTER.has(metric) ? delta < 0 : delta > 0;
  return `${delta > 0 ? '▲' : '▼'} ${better ? 'better' : 'worse'}`;
}

function headline(r: Report): string {
  const main = r.task === 'regression' ? 'rmse' : 'accuracy';
  const failed = r.gates.filter((g) => !g.passed);
  const versus = r.comparison?.metrics[main];
  const score = `${main} ${f(r.metrics[main])}${versus ? ` vs baseline ${f(versus.baseline)} (${signed(versus.delta)})` : ''}`;
  const rows = `${r.data.rows.toLocaleString('en-US')} rows`;
  if (r.gates.length === 0) return `${score} on ${rows}; no gates set`;
  if (failed.length === 0) return `All ${r.gates.length} gates passed: ${score} on ${rows}`;
  return `${failed.length} of ${r.gates.length} gates failed (${failed.map((g) => g.expr).join('; ')}): ${score} on ${rows}`;
}

function gateTable(r: Report): Block[] {
  if (!r.gates.length) return [];
  return [
    { kind: 'heading', text: 'Gates' },
    {
      kind: 'table',
      columns: ['', 'gate', 'observed', 'required'],
      rows: r.gates.map((g) => [g.passed ? '✅' : '❌', `\`${g.expr}\``, f(g.observed), g.required]),
    },
  ];
}

function versusTable(r: Report): Block[] {
  const c = r.comparison;
  if (!c) {
    return [
      { kind: 'heading', text: 'Metrics' },
      {
        kind: 'table',
        columns: ['metric', 'model'],
        rows: Object.entries(r.metrics).map(([m, v]) => [m, f(v)]),
        numeric: [false, true],
      },
    ];
  }
  const rows = Object.entries(c.metrics).map(([m, v]) => [
    m,
    f(v.model),
    f(v.baseline),
    `${signed(v.delta)} ${arrow(m, v.delta)}`,
    v.ci_low === null ? '—' : `[${signed(v.ci_low)}, ${signed(v.ci_high!)}]`,
  ]);
  const notes: string[] = [];
  if (c.mcnemar) {
    notes.push(
      `McNemar's exact test: the model alone was right on ${c.mcnemar.model_only_correct} rows, the baseline alone on ${c.mcnemar.baseline_only_correct}; p = ${f(c.mcnemar.p_value)}.`,
    );
  }
  if (c.agreement !== undefined) notes.push(`The two models agree on ${f(100 * c.agreement)}% of rows.`);
  if (c.bootstrap) {
    notes.push(
      `Intervals: 95% paired bootstrap, ${c.bootstrap.resamples} resamples of ${c.bootstrap.rows_per_resample.toLocaleString('en-US')} rows, seed ${c.bootstrap.seed}.`,
    );
  }
  return [
    { kind: 'heading', text: 'Model vs baseline' },
    {
      kind: 'table',
      columns: ['metric', 'model', 'baseline', 'Δ', '95% CI of Δ'],
      rows,
      numeric: [false, true, true, true, false],
    },
    { kind: 'text', text: notes.join(' ') },
  ];
}

/** Bars for the model, a line for the baseline: Mermaid's xychart has no grouped bars. */
function chart(r: Report): Block[] {
  const names = Object.keys(r.metrics).filter(
    (m) => !LOWER_IS_BETTER.has(m) && r.metrics[m]! >= 0 && r.metrics[m]! <= 1,
  );
  if (!names.length) return [];
  const values = (o: Record<string, number>) => names.map((m) => Number((o[m] ?? 0).toFixed(4))).join(', ');
  const lines = [
    'xychart-beta',
    `  title "${r.baseline ? 'model (bars) vs baseline (line)' : 'model'}"`,
    `  x-axis [${names.map((n) => `"${n}"`).join(', ')}]`,
    '  y-axis "score" 0 --> 1',
    `  bar [${values(r.metrics)}]`,
  ];
  if (r.baseline) lines.push(`  line [${values(r.baseline.metrics)}]`);
  return [{ kind: 'mermaid', source: lines.join('\n') }];
}

function speedTable(r: Report): Block[] {
  const { model, baseline } = r.performance;
  const columns = baseline ? ['', 'model', 'baseline'] : ['', 'model'];
  const rows = SPEED.map((m) => [
    m,
    f(model[m as keyof typeof model]),
    ...(baseline ? [f(baseline[m as keyof typeof baseline])] : []),
  ]);
  return [
    {
      kind: 'heading',
      text: `Speed (${r.device.device}, batches of ${r.data.rows > 0 ? 'up to ' : ''}the batch size)`,
    },
    { kind: 'table', columns, rows, numeric: columns.map((_, i) => i > 0) },
  ];
}

function confusion(r: Report): Block[] {
  if (!r.confusion_matrix) return [];
  const rows = r.confusion_matrix.map((row, i) => [r.classes[i]!, ...row.map((v) => f(v))]);
  const perClass = (r.per_class ?? []).map((p) => [
    p.class,
    f(p.precision),
    f(p.recall),
    f(p.f1),
    f(p.support),
  ]);
  return [
    {
      kind: 'details',
      title: 'Confusion matrix and per-class metrics',
      blocks: [
        { kind: 'text', text: 'Rows: true class; columns: predicted class.' },
        {
          kind: 'table',
          columns: ['true \\ predicted', ...r.classes],
          rows,
          numeric: [false, ...r.classes.map(() => true)],
        },
        {
          kind: 'table',
          columns: ['class', 'precision', 'recall', 'f1', 'support'],
          rows: perClass,
          numeric: [false, true, true, true, true],
        },
      ],
    },
  ];
}

/** One row per metric, one column per perturbation: perturbations are few, metrics many. */
function robustness(r: Report): Block[] {
  if (!r.robustness.length) return [];
  return [
    { kind: 'heading', text: 'Robustness (metric under perturbation, and its drop from clean)' },
    {
      kind: 'table',
      columns: ['metric', 'clean', ...r.robustness.map((p) => `\`${p.perturbation}\``)],
      rows: Object.keys(r.metrics).map((m) => [
        m,
        f(r.metrics[m]),
        ...r.robustness.map((p) => `${f(p.metrics[m])} (${signed(p.drop[m] ?? Number.NaN)})`),
      ]),
    },
  ];
}

function slices(r: Report): Block[] {
  return r.slices.map((s) => {
    const metrics = Object.keys(s.values[0]?.metrics ?? {});
    return {
      kind: 'details',
      title: `Metrics by ${s.column}`,
      blocks: [
        {
          kind: 'table',
          columns: [s.column, 'rows', ...metrics],
          rows: s.values.map((v) => [v.value, String(v.rows), ...metrics.map((m) => f(v.metrics[m]))]),
          numeric: [false, true, ...metrics.map(() => true)],
        },
      ],
    } satisfies Block;
  });
}

export function buildSummary(r: Report): Summary {
  const skipped = r.data.skipped.features + r.data.skipped.label;
  return {
    title: 'modelship evaluate-model',
    passed: r.passed,
    headline: headline(r),
    blocks: [
      ...gateTable(r),
      ...versusTable(r),
      ...chart(r),
      ...speedTable(r),
      ...confusion(r),
      ...robustness(r),
      ...slices(r),
      {
        kind: 'text',
        text: `Model \`${r.model.file}\`${r.baseline ? ` against baseline \`${r.baseline.file}\`` : ''}, ${r.task}, on ${r.data.files.join(', ')} (${r.data.rows.toLocaleString('en-US')} rows${skipped ? `, ${skipped} left out for missing values` : ''}).`,
      },
    ],
  };
}
