/**
 * How a model's inputs and outputs meet a table's columns. A model takes either one matrix
 * [N, features] or one input per column; it answers with labels, probabilities or both (or a
 * value, for regression). A mismatch is shown as both signatures side by side, because the fix
 * is nearly always "these are not the columns the model was trained on".
 */
import { InputError } from '../errors.ts';
import type { Session } from './session.ts';

export interface TensorInfo {
  name: string;
  /** onnxruntime's type name (`float32`, `int64`, `string`), or `non-tensor` for maps and sequences. */
  type: string;
  shape: (number | string)[];
}

export interface Signature {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export const FEED_TYPES = ['float32', 'float64', 'int64', 'int32'] as const;
export type FeedType = (typeof FEED_TYPES)[number];

export interface FeedPlan {
  mode: 'matrix' | 'columns';
  /** Feature columns in the order the model reads them. */
  features: string[];
  /** matrix: one input; columns: one per feature, same order as `features`. */
  inputs: { name: string; type: FeedType; rank: number }[];
}

export interface OutputPlan {
  /** Labels (classification) or values (regression). */
  prediction?: TensorInfo;
  probabilities?: TensorInfo;
  /** Probability columns when the shape says; otherwise learnt from the first batch. */
  classes?: number;
}

export function signatureOf(session: Session): Signature {
  const info = (m: Session['inputMetadata'][number]): TensorInfo =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: [...m.shape] }
      : { name: m.name, type: 'non-tensor', shape: [] };
  return { inputs: session.inputMetadata.map(info), outputs: session.outputMetadata.map(info) };
}

export const formatTensor = (t: TensorInfo) =>
  `${t.name} ${t.type}${t.shape.length ? `[${t.shape.map((d) => (d === -1 ? '?' : d)).join(',')}]` : ''}`;

export const formatSignature = (s: Signature) =>
  `inputs ${s.inputs.map(formatTensor).join(', ')}; outputs ${s.outputs.map(formatTensor).join(', ')}`;

const dimIs = (d: number | string | undefined, n: number) => d === n;
const isFixed = (d: number | string | undefined): d is number => typeof d === 'number' && d > 0;

/**
 * Binds feature columns to the model's inputs. `numeric` is the table's numeric columns in file
 * order (label and slice columns already left out); `chosen` the user's feature-columns, if any.
 */
export function planFeeds(
  sig: Signature,
  numeric: readonly string[],
  all: ReadonlyMap<string, string>,
  chosen: readonly string[],
  model: string,
): FeedPlan {
  const show = () =>
    `Model: ${sig.inputs.map(formatTensor).join(', ')}. Data: ${[...all].map(([c, t]) => `${c} ${t}`).join(', ')}`;
  for (const input of sig.inputs) {
    if (!FEED_TYPES.includes(input.type as FeedType)) {
      throw new InputError(
        `model '${model}' input '${input.name}' is ${input.type}; modelship feeds ${FEED_TYPES.join(', ')}`,
        {
          where: { path: 'model' },
          fix: `Export the model with numeric inputs. ${show()}.`,
        },
      );
    }
  }
  refuseNonTabular(sig, model);
  for (const c of chosen) {
    if (!all.has(c)) {
      throw new InputError(`feature column '${c}' is not in the data`, {
        where: { path: 'feature-columns' },
        fix: show(),
      });
    }
  }
  const byName =
    sig.inputs.every((i) => all.has(i.name)) &&
    (sig.inputs.length > 1 || sig.inputs[0]?.shape.length !== 2 || dimIs(sig.inputs[0]?.shape[1], 1));
  if (byName) {
    const features = sig.inputs.map((i) => i.name);
    if (chosen.length && chosen.join('\0') !== features.join('\0')) {
      throw new InputError(
        `feature-columns (${chosen.join(', ')}) differ from the model's inputs (${features.join(', ')})`,
        {
          where: { path: 'feature-columns' },
          fix: 'The model takes one input per column, named after it; leave feature-columns empty or list exactly those.',
        },
      );
    }
    return {
      mode: 'columns',
      features,
      inputs: sig.inputs.map((i) => ({ name: i.name, type: i.type as FeedType, rank: i.shape.length || 2 })),
    };
  }
  if (sig.inputs.length !== 1) {
    const missing = sig.inputs.filter((i) => !all.has(i.name)).map((i) => i.name);
    throw new InputError(
      `model '${model}' has ${sig.inputs.length} inputs and the data has no column named ${missing.map((m) => `'${m}'`).join(', ')}`,
      {
        where: { path: 'model' },
        fix: `A model with several inputs takes one column each, by name. ${show()}.`,
      },
    );
  }
  const input = sig.inputs[0]!;
  const features = chosen.length ? [...chosen] : [...numeric];
  const width = input.shape[1];
  if (input.shape.length === 1) {
    throw new InputError(
      `model '${model}' input ${formatTensor(input)} takes one column, and the data has no column named '${input.name}'`,
      {
        where: { path: 'model' },
        fix: `An input of rank 1 is fed the column of the same name: rename the column or the input. ${show()}.`,
      },
    );
  }
  if (input.shape.length !== 2 || (isFixed(width) && width !== features.length)) {
    const expects = input.shape.length === 2 ? `${width} features` : `a tensor of rank ${input.shape.length}`;
    throw new InputError(
      `model '${model}' expects ${expects} but the data gives ${features.length} (${features.join(', ')})`,
      {
        where: { path: chosen.length ? 'feature-columns' : 'model' },
        fix: `Set feature-columns to the ${isFixed(width) ? `${width} ` : ''}columns the model was trained on, in its order. ${show()}.`,
      },
    );
  }
  const bad = features.filter(
    (f) =>
      !/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL|BOOLEAN)/.test(
        all.get(f) ?? '',
      ),
  );
  if (bad.length) {
    throw new InputError(
      `feature columns ${bad.map((b) => `'${b}' (${all.get(b)})`).join(', ')} are not numeric`,
      {
        where: { path: 'feature-columns' },
        fix: 'Encode them before evaluation or leave them out with feature-columns.',
      },
    );
  }
  return { mode: 'matrix', features, inputs: [{ name: input.name, type: input.type as FeedType, rank: 2 }] };
}

/**
 * Columns of a table fill a matrix [N, features] or vectors [N] / [N, 1], nothing of higher
 * rank; an image or sequence model is refused in words, before any advice about columns that
 * could never work.
 */
function refuseNonTabular(sig: Signature, model: string) {
  const input = sig.inputs.find((i) => i.shape.length > 2);
  if (!input) return;
  throw new InputError(
    `model '${model}' input ${formatTensor(input)} has rank ${input.shape.length}; evaluate-model feeds tabular models only: one input of rank 2 [N, features], or one input per column of rank 1 [N] or [N, 1], named after its column`,
    {
      where: { path: 'model' },
      fix: "Evaluate image, sequence and other tensor models with their own harness, or export a model that takes the table's feature columns.",
    },
  );
}

const LABEL_TYPES = ['int64', 'int32', 'string'];
const FLOAT_TYPES = ['float32', 'float64'];
const isColumn = (t: TensorInfo) => t.shape.length === 1 || (t.shape.length === 2 && dimIs(t.shape[1], 1));

/**
 * Picks the outputs that carry predictions. By name when the user says; otherwise by type and
 * shape: integer or string [N] is labels, float [N, k>1] probabilities, float [N] a value.
 */
export function planOutputs(
  sig: Signature,
  task: 'classification' | 'regression' | 'unknown',
  names: { prediction?: string; probabilities?: string },
  model: string,
): OutputPlan {
  const byName = (name: string | undefined, input: string) => {
    if (!name) return undefined;
    const found = sig.outputs.find((o) => o.name === name);
    if (!found) {
      throw new InputError(`model '${model}' has no output '${name}'`, {
        where: { path: input },
        fix: `Its outputs: ${sig.outputs.map(formatTensor).join(', ')}.`,
      });
    }
    return found;
  };
  const tensors = sig.outputs.filter((o) => o.type !== 'non-tensor');
  let prediction = byName(names.prediction, 'prediction-output');
  let probabilities = byName(names.probabilities, 'probability-output');
  if (!prediction && task !== 'regression')
    prediction = tensors.find((o) => LABEL_TYPES.includes(o.type) && isColumn(o));
  if (!probabilities && task !== 'regression') {
    probabilities = tensors.find(
      (o) => FLOAT_TYPES.includes(o.type) && o.shape.length === 2 && !dimIs(o.shape[1], 1),
    );
  }
  if (!prediction && !probabilities)
    prediction = tensors.find((o) => FLOAT_TYPES.includes(o.type) && isColumn(o));
  if (!prediction && !probabilities) {
    const maps = sig.outputs.filter((o) => o.type === 'non-tensor').map((o) => o.name);
    throw new InputError(
      `model '${model}' has no output modelship can read as labels, probabilities or values`,
      {
        where: { path: 'model' },
        fix: `${maps.length ? `Outputs ${maps.join(', ')} are maps or sequences (e.g. skl2onnx's ZipMap): export with options={'zipmap': False}. ` : ''}Outputs: ${sig.outputs.map(formatTensor).join(', ')}.`,
      },
    );
  }
  const width = probabilities?.shape[1];
  return {
    ...(prediction && { prediction }),
    ...(probabilities && { probabilities }),
    ...(isFixed(width) && { classes: width }),
  };
}

/** What the model itself says its task is, when the user leaves `task: auto`. */
export function taskOf(outputs: OutputPlan): 'classification' | 'regression' {
  if (outputs.probabilities) return 'classification';
  return outputs.prediction && FLOAT_TYPES.includes(outputs.prediction.type)
    ? 'regression'
    : 'classification';
}
