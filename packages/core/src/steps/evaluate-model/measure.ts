/**
 * From predictions to numbers: the quality metrics of each model, the speed of each, the
 * champion/challenger comparison, robustness drops and per-slice metrics. Every quality metric
 * goes through the same prepared computation, with weights doing the work of resampling and
 * slicing, so a metric means the same thing in every table.
 */
import {
  type ClassificationReport,
  type PreparedClassification,
  prepareClassification,
} from '../../metrics/classification.ts';
import {
  type BootstrapRows,
  bootstrapIntervals,
  bootstrapRows,
  type DeltaStatistic,
  type Deltas,
  mcnemarExact,
  type PairedBootstrapResult,
  pairedBootstrap,
  pickRows,
} from '../../metrics/paired.ts';
import { prepareRegression } from '../../metrics/regression.ts';
import type { Predictions } from '../../onnx/predict.ts';

export type Scores = Record<string, number>;

/** What one model's quality metrics are computed from. */
export interface Outcome {
  truth: Int32Array | Float64Array;
  /** Classification: predicted class per row; regression: values. */
  predicted: Int32Array | Float64Array;
  proba?: Float32Array | Float64Array;
  k: number;
}

export interface Quality {
  scores: Scores;
  confusion?: number[][];
  perClass?: { class: string; precision: number; recall: number; f1: number; support: number }[];
}

type Prepared = { compute(weights?: Float64Array): { scores: object; report?: ClassificationReport } };

/** An outcome with its weight-independent work (sorts, per-row losses) done once for every table. */
export interface Measured {
  outcome: Outcome;
  regression: boolean;
  prepared: Prepared;
}

export const measure = (outcome: Outcome, regression: boolean): Measured => ({
  outcome,
  regression,
  prepared: prepare(outcome, regression),
});

export function prepare(o: Outcome, regression: boolean): Prepared {
  if (regression) {
    const p = prepareRegression(o.truth as Float64Array, o.predicted as Float64Array);
    return { compute: (w) => ({ scores: p.compute(w) }) };
  }
  return wrapClassification(
    prepareClassification({
      yTrue: o.truth as Int32Array,
      yPred: o.predicted as Int32Array,
      k: o.k,
      proba: o.proba,
    }),
  );
}

export const wrapClassification = (p: PreparedClassification): Prepared => ({
  compute: (w) => {
    const report = p.compute(w);
    return { scores: report.scores, report };
  },
});

export const numbers = (scores: object): Scores =>
  Object.fromEntries(Object.entries(scores).filter(([, v]) => typeof v === 'number')) as Scores;

export function quality(m: Measured, classNames: readonly string[]): Quality {
  const { scores, report } = m.prepared.compute();
  if (!report) return { scores: numbers(scores) };
  return {
    scores: numbers(scores),
    confusion: report.confusion,
    perClass: classNames.map((name, i) => ({
      class: name,
      precision: report.perClass.precision[i]!,
      recall: report.perClass.recall[i]!,
      f1: report.perClass.f1[i]!,
      support: report.perClass.support[i]!,
    })),
  };
}

export interface Speed {
  latency_p50_ms: number;
  latency_p95_ms: number;
  latency_p99_ms: number;
  row_latency_p50_ms: number;
  row_latency_p95_ms: number;
  row_latency_p99_ms: number;
  throughput_rows_per_s: number;
  load_ms: number;
  model_bytes: number;
}

/** numpy.quantile's default (linear) on sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export function speed(p: Predictions, loadMs: number, bytes: number): Speed {
  const batch = Float64Array.from(p.latencies).sort();
  const row = Float64Array.from(p.latencies, (ms, i) => ms / p.batchRows[i]!).sort();
  const total = p.latencies.reduce((a, b) => a + b, 0);
  const rows = p.batchRows.reduce((a, b) => a + b, 0);
  return {
    latency_p50_ms: quantile(batch, 0.5),
    latency_p95_ms: quantile(batch, 0.95),
    latency_p99_ms: quantile(batch, 0.99),
    row_latency_p50_ms: quantile(row, 0.5),
    row_latency_p95_ms: quantile(row, 0.95),
    row_latency_p99_ms: quantile(row, 0.99),
    throughput_rows_per_s: total > 0 ? rows / (total / 1000) : Number.NaN,
    load_ms: loadMs,
    model_bytes: bytes,
  };
}

export interface Comparison {
  /** Per metric: model − baseline, with a 95% paired-bootstrap interval. */
  metrics: Record<
    string,
    { model: number; baseline: number; delta: number; ci_low: number | null; ci_high: number | null }
  >;
  /** Classification: rows only the model got right (b) and only the baseline got right (c). */
  mcnemar?: { model_only_correct: number; baseline_only_correct: number; p_value: number };
  agreement?: number;
  bootstrap: { resamples: number; rows_per_resample: number; seed: number; scale: number } | null;
}

/**
 * Above this many rows the bootstrap resamples a seeded subset and rescales (m-out-of-n): the
 * subset adds noise of about 1/√(2m) = 0.7% of the interval's width, and keeps 1000 resamples of
 * two models well under a second.
 */
const BOOTSTRAP_ROWS = 10_000;

export interface CompareOptions {
  resamples: number;
  seed: number;
}

/** The bootstrap's resamples, done apart from the full-sample metrics (resampled.ts). */
export interface Resampled {
  rows: BootstrapRows;
  /** The metrics both models have, in the order the comparison lists them. */
  names: string[];
  /** The deltas over the resampled rows, every row once. */
  center: Deltas;
  draws: Map<string, number[]>;
}

/** Which rows the comparison's bootstrap resamples; undefined when it has none. */
export function bootstrapPlan(rows: number, options: CompareOptions): BootstrapRows | undefined {
  if (options.resamples <= 0 || rows <= 1) return undefined;
  return bootstrapRows(rows, {
    resamples: options.resamples,
    confidence: 0.95,
    maxRows: BOOTSTRAP_ROWS,
    seed: options.seed,
  });
}

/** Per metric both models have, model − baseline, under row weights. */
export function deltaStatistic(a: Prepared, b: Prepared, shared: readonly string[]): DeltaStatistic {
  return (w) => {
    const sa = numbers(a.compute(w).scores);
    const sb = numbers(b.compute(w).scores);
    return Object.fromEntries(shared.map((m) => [m, sa[m]! - sb[m]!]));
  };
}

/**
 * `resampled`: the bootstrap's resamples when they were run elsewhere (a worker) from
 * bootstrapPlan's rows; they are used when they cover the same metrics, and the comparison is the
 * one this function would reach alone.
 */
export function compare(
  challenger: Measured,
  champion: Measured,
  options: CompareOptions,
  resampled?: Resampled,
): Comparison {
  const { regression } = challenger;
  const [model, baseline] = [challenger.outcome, champion.outcome];
  const a = numbers(challenger.prepared.compute().scores);
  const b = numbers(champion.prepared.compute().scores);
  const shared = Object.keys(a).filter((m) => m in b);
  const n = model.truth.length;
  let boot: PairedBootstrapResult | undefined;
  if (resampled && sameNames(resampled.names, shared)) {
    const full = deltaStatistic(challenger.prepared, champion.prepared, shared)();
    const { rows, center, draws } = resampled;
    boot = bootstrapIntervals(n, full, rows.subset ? center : full, draws, rows);
  } else if (options.resamples > 0 && n > 1) {
    boot = pairedBootstrap({
      rows: n,
      resamples: options.resamples,
      seed: options.seed,
      maxRows: BOOTSTRAP_ROWS,
      prepare: (subset) => {
        const pa = subset ? prepare(pick(model, subset), regression) : challenger.prepared;
        const pb = subset ? prepare(pick(baseline, subset), regression) : champion.prepared;
        return deltaStatistic(pa, pb, shared);
      },
    });
  }
  const metrics: Comparison['metrics'] = {};
  for (const m of shared) {
    const ci = boot?.intervals[m];
    metrics[m] = {
      model: a[m]!,
      baseline: b[m]!,
      delta: a[m]! - b[m]!,
      ci_low: ci && ci.resamples > 0 ? ci.low : null,
      ci_high: ci && ci.resamples > 0 ? ci.high : null,
    };
  }
  return {
    metrics,
    ...(!regression && paired(model, baseline)),
    bootstrap: boot
      ? {
          resamples: options.resamples,
          rows_per_resample: boot.rowsPerResample,
          seed: options.seed,
          scale: boot.scale,
        }
      : null,
  };
}

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export function pick(o: Outcome, subset: Int32Array | undefined): Outcome {
  return {
    truth: pickRows(o.truth, subset),
    predicted: pickRows(o.predicted, subset),
    ...(o.proba && { proba: pickRows(o.proba, subset, o.k) }),
    k: o.k,
  };
}

/** McNemar's exact test on who got which rows right, and how often the two agree. */
function paired(model: Outcome, baseline: Outcome) {
  let onlyModel = 0;
  let onlyBaseline = 0;
  let same = 0;
  const n = model.truth.length;
  for (let i = 0; i < n; i++) {
    const t = model.truth[i];
    const a = model.predicted[i] === t;
    const b = baseline.predicted[i] === t;
    if (a && !b) onlyModel++;
    else if (b && !a) onlyBaseline++;
    if (model.predicted[i] === baseline.predicted[i]) same++;
  }
  return {
    mcnemar: {
      model_only_correct: onlyModel,
      baseline_only_correct: onlyBaseline,
      p_value: mcnemarExact(onlyModel, onlyBaseline),
    },
    agreement: n ? same / n : Number.NaN,
  };
}

/** The metrics of each value of a slice column: the same computation, weighted 1 on the slice's rows. */
export function sliced(
  m: Measured,
  codes: Int32Array,
  values: readonly string[],
): { value: string; rows: number; metrics: Scores }[] {
  const { prepared } = m;
  return values.map((value, code) => {
    const weights = new Float64Array(codes.length);
    let rows = 0;
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] === code) {
        weights[i] = 1;
        rows++;
      }
    }
    return { value, rows, metrics: numbers(prepared.compute(weights).scores) };
  });
}

/** Drop of every metric under a perturbation: clean − perturbed (positive means worse for higher-is-better metrics). */
export function drops(clean: Scores, perturbed: Scores): Scores {
  return Object.fromEntries(
    Object.keys(clean)
      .filter((m) => m in perturbed)
      .map((m) => [m, clean[m]! - perturbed[m]!]),
  );
}
