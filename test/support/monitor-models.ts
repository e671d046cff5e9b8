/**
 * Models for monitor-gate's canaries, each a real way for a new version to go wrong, with the same
 * signature as the example model (float `input` [N, 4] → string `label`, `probabilities`):
 *
 * - skewed: softmax regression whose bias makes it answer `virginica` for every row — fast and
 *   error-free, only its predicted classes differ (prediction-shift);
 * - heavy: a multilayer perceptron with three hidden layers of 3,072 units: right answers are not
 *   its point, its ~19 M multiply-adds per row are — a slower canary, every request;
 * - brittle: a sound classifier that also looks each feature up in an 8-entry table by its integer
 *   part, a pattern of real feature-engineering bugs: a row with a feature of 8 or more is an
 *   out-of-bounds Gather, which onnxruntime refuses, so serve answers 500 for exactly those rows.
 */
import { join } from 'node:path';
import { mulberry32 } from '../../packages/core/src/metrics/random.ts';
import { encodeModel } from '../../packages/core/src/onnx/graph.ts';
import { linearClassifier, mlpClassifier } from '../../packages/core/src/onnx/models.ts';
import { trainReference } from './models.ts';
import { ROOT } from './run.ts';

export const CLASSES = ['setosa', 'versicolor', 'virginica'] as const;

export function skewedModel(): Uint8Array {
  return linearClassifier({
    weights: [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ],
    bias: [0, 0, 4],
    classLabels: CLASSES,
  });
}

export function heavyModel(): Uint8Array {
  const { normal } = mulberry32(7);
  const H = 3072;
  const dense = (rows: number, cols: number) => ({
    weights: Array.from({ length: rows }, () => Array.from({ length: cols }, () => normal() * 0.02)),
    bias: Array(cols).fill(0),
  });
  return mlpClassifier({
    layers: [dense(4, H), dense(H, H), dense(H, H), dense(H, 3)],
    classLabels: CLASSES,
  });
}

/** Rows with a feature >= this fail on the brittle model. */
export const BRITTLE_AT = 8;

export function brittleModel(): Uint8Array {
  const fit = trainReference({
    task: 'classification',
    data: { csv: join(ROOT, 'examples/data/iris-train.csv'), label: 'species' },
  });
  const float = (name: string, dims: number[], values: number[]) => ({
    name,
    type: 'float' as const,
    dims,
    values,
  });
  return encodeModel({
    inputs: [{ name: 'input', type: 'float', shape: ['N', 4] }],
    outputs: [
      { name: 'label', type: 'string', shape: ['N'] },
      { name: 'probabilities', type: 'float', shape: ['N', 3] },
    ],
    initializers: [
      float('W', [4, 3], fit.weights.flat()),
      float('b', [3], fit.bias),
      float('table', [BRITTLE_AT], Array(BRITTLE_AT).fill(1)),
      float('zero', [4, 3], Array(12).fill(0)),
      { name: 'classes', type: 'string', dims: [3], values: fit.classes.map(String) },
    ],
    nodes: [
      { opType: 'Cast', inputs: ['input'], outputs: ['bins'], attributes: { to: { int: 7 } } },
      { opType: 'Gather', inputs: ['table', 'bins'], outputs: ['looked'], attributes: { axis: { int: 0 } } },
      // Adds nothing, but keeps the lookup on the path to the outputs, so it always runs.
      { opType: 'MatMul', inputs: ['looked', 'zero'], outputs: ['nothing'] },
      { opType: 'MatMul', inputs: ['input', 'W'], outputs: ['xw'] },
      { opType: 'Add', inputs: ['xw', 'b'], outputs: ['linear'] },
      { opType: 'Add', inputs: ['linear', 'nothing'], outputs: ['logits'] },
      { opType: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attributes: { axis: { int: 1 } } },
      {
        opType: 'ArgMax',
        inputs: ['logits'],
        outputs: ['index'],
        attributes: { axis: { int: 1 }, keepdims: { int: 0 } },
      },
      {
        opType: 'Gather',
        inputs: ['classes', 'index'],
        outputs: ['label'],
        attributes: { axis: { int: 0 } },
      },
    ],
  });
}

/** Iris rows of every class (the example's test split), and `poisoned` of them with a feature of 8.5. */
export async function irisRows(poisonEvery = 0): Promise<number[][]> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(join(ROOT, 'examples/data/iris-test.csv'), 'utf8');
  const rows = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(0, 4).map(Number));
  if (!poisonEvery) return rows;
  return rows.map((r, i) => (i % poisonEvery === 0 ? [8.5, ...r.slice(1)] : r));
}
