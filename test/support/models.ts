/**
 * Model fixtures: scikit-learn (through /usr/bin/python3, which has it) fits the reference
 * models, so a test can build the same model with onnx/models.ts and check that onnxruntime
 * agrees with sklearn's own predictions; and helpers to put model bytes in a temp file.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { encodeModel } from '../../packages/core/src/onnx/graph.ts';
import { python } from './python.ts';
import { tempDir } from './run.ts';

/** Training rows: arrays, or a CSV file whose `label` column is the target (the rest are features). */
export type TrainingData =
  | { X: number[][]; y: (number | string)[]; features?: string[] }
  | { csv: string; label: string; features?: string[] };

/** Rows to predict: arrays, a CSV with the same feature columns, or (left out) the training rows. */
export type EvaluationData = number[][] | { csv: string };

interface Request<Task> {
  task: Task;
  data: TrainingData;
  evaluate?: EvaluationData;
  /** LogisticRegression's inverse L2 strength; 1 by default. */
  C?: number;
}

interface Evaluated<Label> {
  /** Feature names in weight-row order. */
  features: string[];
  /** The rows sklearn predicted, with their labels when they came from a CSV or the training data. */
  evaluate: { X: number[][]; y: Label[] | null };
}

/** LogisticRegression(multinomial, lbfgs, max_iter=1000, random_state=0), as linearClassifier takes it. */
export interface ClassifierReference extends Evaluated<number | string> {
  classes: (number | string)[];
  /** features × classes; binary problems get two columns ([-w, w]) that reproduce predict_proba. */
  weights: number[][];
  bias: number[];
  iterations: number;
  proba: number[][];
  predict: (number | string)[];
}

/** LinearRegression, as linearRegressor takes it. */
export interface RegressorReference extends Evaluated<number> {
  weights: number[];
  bias: number;
  predict: number[];
}

export function trainReference(request: Request<'classification'>): ClassifierReference;
export function trainReference(request: Request<'regression'>): RegressorReference;
export function trainReference(
  request: Request<'classification' | 'regression'>,
): ClassifierReference | RegressorReference {
  return python('./sklearn_train.py', request);
}

/** Several models in one temp dir, e.g. a baseline and a challenger; returns name → path. */
export async function writeModelFiles<K extends string>(
  t: TestContext | { after: (fn: () => Promise<void>) => void },
  models: Record<K, Uint8Array>,
): Promise<Record<K, string>> {
  const dir = await tempDir(t, 'modelship-models-');
  const paths = {} as Record<K, string>;
  for (const [name, bytes] of Object.entries(models) as [K, Uint8Array][]) {
    paths[name] = join(dir, name.endsWith('.onnx') ? name : `${name}.onnx`);
    await writeFile(paths[name], bytes);
  }
  return paths;
}

/**
 * An image classifier's signature, float32[N,3,224,224] in: the mean of each colour channel is
 * its logit, so it loads and runs, but no table can feed it.
 */
export function imageClassifier(): Uint8Array {
  return encodeModel({
    inputs: [{ name: 'pixels', type: 'float', shape: ['N', 3, 224, 224] }],
    outputs: [
      { name: 'label', type: 'int64', shape: ['N'] },
      { name: 'probabilities', type: 'float', shape: ['N', 3] },
    ],
    nodes: [
      {
        opType: 'ReduceMean',
        inputs: ['pixels'],
        outputs: ['means'],
        attributes: { axes: { ints: [2, 3] }, keepdims: { int: 0 } },
      },
      { opType: 'Softmax', inputs: ['means'], outputs: ['probabilities'], attributes: { axis: { int: 1 } } },
      {
        opType: 'ArgMax',
        inputs: ['means'],
        outputs: ['label'],
        attributes: { axis: { int: 1 }, keepdims: { int: 0 } },
      },
    ],
  });
}
