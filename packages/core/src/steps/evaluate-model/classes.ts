/**
 * Turns the label codes seen while scoring into class indexes that line up with the models'
 * probability columns. The order is scikit-learn's `classes_` (sorted), unless `class-labels`
 * says otherwise; a model whose label output disagrees with its own probabilities under that
 * order is caught here rather than producing quietly wrong metrics.
 */
import { DataError, InputError } from '../../errors.ts';
import { type Dictionary, isNumericKey } from '../../onnx/dictionary.ts';
import type { Predictions } from '../../onnx/predict.ts';
import type { ModelPlan } from './plan.ts';

export interface Classes {
  names: string[];
  /** Class index of every row's true label. */
  truth: Int32Array;
  /** Per model: predicted class index per row. */
  predicted: Int32Array[];
}

const CHECKED = 100_000;

const byKind = (a: string, b: string) =>
  isNumericKey(a) && isNumericKey(b) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;

/** Fails before scoring when string labels meet a model that answers with class numbers. */
export function checkLabelKinds(
  labelIsText: boolean,
  models: ModelPlan[],
  classLabels: readonly string[],
  label: string,
) {
  if (!labelIsText || classLabels.length) return;
  for (const m of models) {
    const p = m.outputs.prediction;
    if (p && (p.type === 'int64' || p.type === 'int32')) {
      throw new InputError(
        `label column '${label}' holds text, but ${m.role} '${m.opened.file}' answers with ${p.type} class numbers ('${p.name}')`,
        {
          where: { path: 'class-labels' },
          fix: "Set class-labels to the class names in the model's order (index 0 first), e.g. `class-labels: cat, dog`.",
        },
      );
    }
  }
}

export function resolveClasses(
  dictionary: Dictionary,
  truthCodes: Int32Array,
  models: { plan: ModelPlan; predictions: Predictions }[],
  classLabels: readonly string[],
): Classes {
  const width = models.find((m) => m.predictions.classes !== undefined)?.predictions.classes;
  const names = classLabels.length ? [...classLabels] : inferNames(dictionary.keys, width);
  const remap = Int32Array.from(dictionary.keys, classIndex(names));
  const unknown = dictionary.keys.filter((_, code) => remap[code] === -1);
  if (unknown.length) {
    throw new DataError(
      `labels ${unknown
        .slice(0, 5)
        .map((u) => `'${u}'`)
        .join(', ')} are not among class-labels (${names.join(', ')})`,
      {
        where: { path: 'class-labels' },
        fix: 'List every class of the data and of the model in class-labels.',
      },
    );
  }
  for (const m of models) {
    const k = m.predictions.classes;
    if (k !== undefined && k !== names.length) {
      throw new InputError(
        `${m.plan.role} '${m.plan.opened.file}' gives ${k} probability columns but there are ${names.length} classes (${names.slice(0, 10).join(', ')})`,
        {
          where: { path: 'class-labels' },
          fix: `Set class-labels to the ${k} classes in the model's order.`,
        },
      );
    }
  }
  const truth = recode(truthCodes, remap);
  const predicted = models.map((m) => predictedClasses(m, remap, names));
  return { names, truth, predicted };
}

const normalised = (n: string) => (isNumericKey(n) ? String(Number(n)) : n);

/** A dictionary key's index among class names (-1: not among them). */
export function classIndex(names: readonly string[]): (key: string) => number {
  const index = new Map(names.map((n, i) => [normalised(n), i]));
  return (key) => index.get(key) ?? -1;
}

function inferNames(keys: readonly string[], width: number | undefined): string[] {
  const numeric = keys.filter(isNumericKey);
  if (numeric.length && numeric.length < keys.length) {
    const text = keys.filter((k) => !isNumericKey(k));
    throw new InputError(
      `labels mix numbers (${numeric.slice(0, 3).join(', ')}) and text (${text.slice(0, 3).join(', ')})`,
      {
        where: { path: 'class-labels' },
        fix: "The data's labels and the model's label output must be the same kind; set class-labels to map class numbers to names.",
      },
    );
  }
  const integers =
    numeric.length === keys.length && keys.every((k) => Number.isInteger(Number(k)) && Number(k) >= 0);
  if (width !== undefined && integers && keys.every((k) => Number(k) < width)) {
    return Array.from({ length: width }, (_, i) => String(i));
  }
  return [...keys].sort(byKind);
}

function predictedClasses(
  m: { plan: ModelPlan; predictions: Predictions },
  remap: Int32Array,
  names: string[],
): Int32Array {
  const { labels, probabilities, classes: k } = m.predictions;
  if (!labels) return argmax(probabilities!, k!);
  // The cross-check needs a sample, not every row: a wrong class order shows on any thousand.
  const fromProbabilities =
    probabilities && k
      ? argmax(probabilities.subarray(0, Math.min(labels.length, CHECKED) * k), k)
      : undefined;
  const predicted = recode(labels, remap);
  if (fromProbabilities) {
    let disagree = 0;
    const checked = fromProbabilities.length;
    for (let i = 0; i < checked; i++) disagree += predicted[i] !== fromProbabilities[i] ? 1 : 0;
    // A few ties or a custom threshold are fine; a different class order is not.
    if (disagree > Math.max(1, 0.01 * checked)) {
      throw new InputError(
        `${m.plan.role} '${m.plan.opened.file}': its label output disagrees with the argmax of its probabilities on ${disagree} of ${checked} rows under the class order ${names.join(', ')}`,
        {
          where: { path: 'class-labels' },
          fix: "Set class-labels to the classes in the order of the model's probability columns.",
        },
      );
    }
  }
  return predicted;
}

/** Codes through a lookup table, in a plain loop: this runs over every row of every model. */
export function recode(codes: Int32Array, remap: Int32Array): Int32Array {
  const out = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = remap[codes[i]!]!;
  return out;
}

export function argmax(p: Float32Array | Float64Array, k: number): Int32Array {
  const n = p.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}
