import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../metrics/random.ts';
import { Dictionary } from '../../onnx/dictionary.ts';
import type { Predictions } from '../../onnx/predict.ts';
import { argmax } from './classes.ts';
import { EarlyMetrics } from './early-metrics.ts';
import { measure, type Outcome } from './measure.ts';

/** n rows of k classes: label values as the data has them, and a model's float32 probabilities. */
function rows(n: number, k: number, seed: number) {
  const r = mulberry32(seed);
  const labels = Float64Array.from({ length: n }, () => Math.floor(r.uniform() * k));
  const proba = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, (_, j) => Math.exp(r.normal() + (j === labels[i] ? 1 : 0)));
    const sum = z.reduce((a, b) => a + b, 0);
    for (let j = 0; j < k; j++) proba[i * k + j] = z[j]! / sum;
  }
  return { labels, proba };
}

/** Feeds EarlyMetrics as scoring does, a batch at a time, and returns what analyse would take. */
function scoreInBatches(labels: Float64Array, proba: Float32Array, k: number, classLabels: string[] = []) {
  const classes = new Dictionary();
  const truth = Int32Array.from(labels, (v) => classes.codeOfNumber(v));
  const early = new EarlyMetrics(classLabels);
  const predictions = (to: number): Predictions => ({
    probabilities: proba.subarray(0, to * k),
    classes: k,
    latencies: new Float64Array(0),
    batchRows: new Int32Array(0),
  });
  for (let to = 0; to < truth.length; ) {
    to = Math.min(truth.length, to + 1000);
    early.add({ rows: to, truth: truth.subarray(0, to), classes, predictions: [predictions(to)] });
  }
  return { early, classes, truth };
}

describe('metrics prepared while scoring', () => {
  it('equal those prepared afterwards when the class order was known', () => {
    const k = 3;
    const { labels, proba } = rows(5500, k, 1);
    const { early } = scoreInBatches(labels, proba, k);
    const outcome: Outcome = { truth: Int32Array.from(labels), predicted: argmax(proba, k), proba, k };
    const taken = early.take([outcome], ['0', '1', '2']);
    assert.ok(taken);
    const after = measure(outcome, false);
    assert.deepEqual(taken[0]!.prepared.compute(), after.prepared.compute());
    const w = Float64Array.from({ length: labels.length }, (_, i) => i % 3);
    assert.deepEqual(taken[0]!.prepared.compute(w), after.prepared.compute(w));
  });

  it('are not used under another class order', () => {
    const k = 3;
    const { labels, proba } = rows(3000, k, 2);
    const outcome: Outcome = { truth: Int32Array.from(labels), predicted: argmax(proba, k), proba, k };
    assert.equal(scoreInBatches(labels, proba, k).early.take([outcome], ['a', 'b', 'c']), undefined);
    // A label beyond the probability columns: the order the data settles on is not 0..k−1.
    labels[2500] = 7;
    assert.equal(scoreInBatches(labels, proba, k).early.take([outcome], ['0', '1', '2']), undefined);
  });
});
