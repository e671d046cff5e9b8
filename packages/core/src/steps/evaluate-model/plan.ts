/**
 * Everything decided before the first row is scored: which columns feed which model input,
 * which outputs carry predictions, the task, the gates' names. Every mismatch between the data
 * and a model, or between the two models, fails here, before any inference.
 */

import type { Engine } from '../../data/engine.ts';
import { describeColumns } from '../../data/scan.ts';
import { displayName, type Source } from '../../data/sources.ts';
import { DataError, InputError } from '../../errors.ts';
import { LABEL_METRICS, PROBABILITY_METRICS } from '../../metrics/classification.ts';
import { REGRESSION_METRICS } from '../../metrics/regression.ts';
import type { OpenedModel } from '../../onnx/session.ts';
import {
  type FeedPlan,
  formatSignature,
  type OutputPlan,
  planFeeds,
  planOutputs,
  type Signature,
  signatureOf,
  taskOf,
} from '../../onnx/signature.ts';
import { closest } from '../../suggest.ts';
import type { EvaluateModelInputs } from './spec.ts';

export type Task = 'binary' | 'multiclass' | 'regression';

export interface ModelPlan {
  role: 'model' | 'baseline';
  opened: OpenedModel;
  signature: Signature;
  feeds: FeedPlan;
  outputs: OutputPlan;
}

export interface Plan {
  /** The data, with a CSV's dialect and types fixed: read it through this. */
  source: Source;
  columns: Map<string, string>;
  /** Every feature either model reads, in the order batches carry them. */
  features: string[];
  label: string;
  labelIsText: boolean;
  slices: string[];
  /** Classification until the classes are counted, unless the user or the model says. */
  kind: 'classification' | 'regression';
  models: ModelPlan[];
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

export async function planEvaluation(
  engine: Engine,
  source: Source,
  inputs: EvaluateModelInputs,
  models: { role: 'model' | 'baseline'; opened: OpenedModel }[],
): Promise<Plan> {
  const { columns, source: fixed } = await describeColumns(engine, source);
  const label = inputs['label-column'];
  const names = [...columns.keys()];
  if (!columns.has(label)) {
    const guess = closest(label, names);
    throw new DataError(`label column '${label}' is not in '${displayName(source)}'`, {
      where: { path: 'label-column' },
      fix: `${guess ? `Did you mean '${guess}'? ` : ''}Columns: ${names.join(', ')}.`,
    });
  }
  const slices = inputs.slices;
  for (const s of slices) {
    if (!columns.has(s)) {
      throw new DataError(`slice column '${s}' is not in '${displayName(source)}'`, {
        where: { path: 'slices' },
        fix: `Columns: ${names.join(', ')}.`,
      });
    }
  }
  const numeric = names.filter((c) => c !== label && !slices.includes(c) && NUMERIC.test(columns.get(c)!));
  const requested = inputs.task;
  const hint =
    requested === 'auto' ? 'unknown' : requested === 'regression' ? 'regression' : 'classification';
  const planned = models.map(({ role, opened }): ModelPlan => {
    const signature = signatureOf(opened.session);
    const feeds = planFeeds(signature, numeric, columns, inputs['feature-columns'], opened.file);
    const outputs = planOutputs(
      signature,
      hint,
      {
        ...(inputs['prediction-output'] && { prediction: inputs['prediction-output'] }),
        ...(inputs['probability-output'] && { probabilities: inputs['probability-output'] }),
      },
      opened.file,
    );
    return { role, opened, signature, feeds, outputs };
  });
  const kind =
    requested === 'auto'
      ? taskOf(planned[0]!.outputs)
      : hint === 'regression'
        ? 'regression'
        : 'classification';
  const labelIsText = !NUMERIC.test(columns.get(label)!);
  if (kind === 'regression' && labelIsText) {
    throw new DataError(`label column '${label}' is ${columns.get(label)}, but regression needs numbers`, {
      where: { path: 'label-column' },
      fix: "Set task to 'binary' or 'multiclass' if the model is a classifier.",
    });
  }
  for (const m of planned) checkOutputs(m, kind, planned[0]!);
  const features = [...new Set(planned.flatMap((m) => m.feeds.features))];
  return { source: fixed, columns, features, label, labelIsText, slices, kind, models: planned };
}

/** Both models must answer the same question: same task, same number of classes. */
function checkOutputs(m: ModelPlan, kind: 'classification' | 'regression', challenger: ModelPlan): void {
  const own = taskOf(m.outputs);
  const differs =
    (kind === 'regression') !== (own === 'regression') ||
    (m.outputs.classes !== undefined &&
      challenger.outputs.classes !== undefined &&
      m.outputs.classes !== challenger.outputs.classes);
  if (!differs) return;
  const what = m.role === 'baseline' ? 'baseline' : 'model';
  throw new InputError(
    `${what} '${m.opened.file}' answers a different question than ${m.role === 'baseline' ? 'the model' : `task ${kind}`}`,
    {
      where: { path: what },
      fix: `Compare models with the same outputs. ${m.role === 'baseline' ? `Model: ${formatSignature(challenger.signature)}. ` : ''}${what}: ${formatSignature(m.signature)}.`,
    },
  );
}

export const SPEED = [
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'row_latency_p50_ms',
  'row_latency_p95_ms',
  'row_latency_p99_ms',
  'throughput_rows_per_s',
  'load_ms',
  'model_bytes',
];

/** The quality metrics a model will have, known before scoring so gates can be checked first. */
export function qualityNames(plan: Plan, m: ModelPlan): string[] {
  if (plan.kind === 'regression') return [...REGRESSION_METRICS];
  return m.outputs.probabilities ? [...LABEL_METRICS, ...PROBABILITY_METRICS] : [...LABEL_METRICS];
}

/** Every name a gate may use. */
export function gateNames(plan: Plan): string[] {
  const [model, baseline] = plan.models;
  const own = [...qualityNames(plan, model!), ...SPEED];
  if (!baseline) return own;
  const theirs = [...qualityNames(plan, baseline), ...SPEED];
  const shared = qualityNames(plan, model!).filter((m) => qualityNames(plan, baseline).includes(m));
  return [
    ...own,
    ...theirs.map((m) => `baseline.${m}`),
    ...shared.map((m) => `delta.${m}`),
    ...(plan.kind === 'classification' ? ['agreement', 'mcnemar_p_value'] : []),
  ];
}
