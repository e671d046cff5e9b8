/**
 * From scored rows to every table of the report: classes lined up with the probability columns,
 * each model's metrics and speed, the comparison, robustness drops and slices, and the values
 * the gates read.
 */
import { DataError } from '../../errors.ts';
import type { Logger } from '../../platform/port.ts';
import { resolveClasses } from './classes.ts';
import type { EarlyMetrics } from './early-metrics.ts';
import {
  type Comparison,
  compare,
  drops,
  measure,
  numbers,
  type Outcome,
  type Quality,
  quality,
  type Scores,
  type Speed,
  sliced,
  speed,
} from './measure.ts';
import type { Plan, Task } from './plan.ts';
import { Resampler } from './resample.ts';
import type { Scored } from './score.ts';

export interface Analysis {
  task: Task;
  /** Class names in probability-column order; empty for regression. */
  names: string[];
  outcomes: Outcome[];
  qualities: Quality[];
  speeds: Speed[];
  comparison: Comparison | undefined;
  robustness: { perturbation: string; metrics: Scores; drop: Scores }[];
  slices: { column: string; values: { value: string; rows: number; metrics: Scores }[] }[];
}

export interface AnalyseOptions {
  classLabels: readonly string[];
  task: 'auto' | Task;
  resamples: number;
  seed: number;
  log: Logger & { group<T>(title: string, fn: () => Promise<T>): Promise<T> };
  /** Where the comparison's resamples run; one that scoring started early saves its start-up. */
  resampler?: Resampler;
  /** Classification metrics prepared while scoring, used when they hold for the final class order. */
  early?: EarlyMetrics;
}

export async function analyse(scored: Scored, plan: Plan, o: AnalyseOptions): Promise<Analysis> {
  const regression = plan.kind === 'regression';
  const classified = (predictions: Scored['predictions'], models = plan.models) =>
    resolveClasses(
      scored.classes,
      scored.truth as Int32Array,
      models.map((m, i) => ({ plan: m, predictions: predictions[i]! })),
      o.classLabels,
    );
  const classes = regression ? undefined : classified(scored.predictions);
  const names = classes?.names ?? [];
  const task: Task = regression ? 'regression' : names.length === 2 ? 'binary' : 'multiclass';
  checkTask(o.task, task, names);
  const outcomeOf = (p: Scored['predictions'][number], predicted: Int32Array | undefined): Outcome => ({
    truth: classes ? classes.truth : (scored.truth as Float64Array),
    predicted: predicted ?? p.values!,
    ...(p.probabilities && { proba: p.probabilities }),
    k: names.length,
  });
  const outcomes = scored.predictions.map((p, i) => outcomeOf(p, classes?.predicted[i]));
  // Started first: the resamples need only the rows they draw, and run beside what follows.
  const resampler = o.resampler ?? new Resampler();
  const resampling =
    outcomes.length > 1
      ? resampler.run(outcomes[0]!, outcomes[1]!, regression, { resamples: o.resamples, seed: o.seed })
      : resampler.close();
  const measured = (classes && o.early?.take(outcomes, names)) ?? outcomes.map((x) => measure(x, regression));
  const qualities = measured.map((m) => quality(m, names));
  const comparison =
    measured.length > 1
      ? await o.log.group('Comparing with the baseline', async () =>
          compare(measured[0]!, measured[1]!, { resamples: o.resamples, seed: o.seed }, await resampling),
        )
      : undefined;
  const robustness = scored.perturbed.map(({ perturbation, predictions }) => {
    const predicted = classes ? classified([predictions], [plan.models[0]!]).predicted[0] : undefined;
    const metrics = quality(measure(outcomeOf(predictions, predicted), regression), names).scores;
    return { perturbation: perturbation.id, metrics, drop: drops(qualities[0]!.scores, metrics) };
  });
  return {
    task,
    names,
    outcomes,
    qualities,
    speeds: plan.models.map((m, i) => speed(scored.predictions[i]!, m.opened.loadMs, m.opened.bytes)),
    comparison,
    robustness,
    slices: scored.slices.map((s) => ({
      column: s.column,
      values: sliced(measured[0]!, s.codes, s.values.keys),
    })),
  };
}

/** The values gates read: the model's metrics bare, the baseline's prefixed, and the comparison's. */
export function gateValues(a: Analysis): Map<string, number> {
  const values = new Map<string, number>();
  const add = (prefix: string, o: object) => {
    for (const [k, v] of Object.entries(numbers(o))) values.set(`${prefix}${k}`, v);
  };
  add('', a.qualities[0]!.scores);
  add('', a.speeds[0]!);
  if (a.qualities[1]) {
    add('baseline.', a.qualities[1].scores);
    add('baseline.', a.speeds[1]!);
  }
  if (a.comparison) {
    for (const [m, c] of Object.entries(a.comparison.metrics)) values.set(`delta.${m}`, c.delta);
    if (a.comparison.agreement !== undefined) values.set('agreement', a.comparison.agreement);
    if (a.comparison.mcnemar) values.set('mcnemar_p_value', a.comparison.mcnemar.p_value);
  }
  return values;
}

function checkTask(requested: string, found: Task, names: string[]) {
  if (requested === 'auto' || requested === found) return;
  throw new DataError(
    `task '${requested}' was set, but the data and model give ${found} (${names.length} classes: ${names.slice(0, 10).join(', ')})`,
    {
      where: { path: 'task' },
      fix: "Set task to 'auto', or check label-column.",
    },
  );
}
