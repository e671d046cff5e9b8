import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng } from '../../../../test/support/scipy.ts';
import { sklearn } from '../../../../test/support/sklearn.ts';
import { prepareRegression, type RegressionScores, regressionMetrics } from './regression.ts';

function close(actual: number, expected: number | null, what: string): void {
  if (expected === null) {
    assert.ok(Number.isNaN(actual), `${what}: ${actual}, expected NaN`);
    return;
  }
  const diff = Math.abs(actual - expected);
  assert.ok(diff <= 1e-12 || diff <= 1e-6 * Math.abs(expected), `${what}: ${actual} vs sklearn ${expected}`);
}

interface Case {
  name: string;
  yTrue: number[];
  yPred: number[];
  weights?: number[];
}

function data(seed: number, n: number, offset = 0, zeros = 0) {
  const r = rng(seed);
  const yTrue = Array.from({ length: n }, () => (r.next() < zeros ? 0 : offset + 3 * r.normal()));
  const yPred = yTrue.map((y) => 0.8 * y + 0.5 * r.normal());
  return { yTrue, yPred };
}

function drawCounts(seed: number, n: number): number[] {
  const r = rng(seed);
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(r.next() * n)]!++;
  return counts;
}

const fractional = (seed: number, n: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => 2 * r.next());
};

const constant = new Array<number>(20).fill(2.5);
const cases: Case[] = [
  { name: 'unweighted', ...data(1, 500) },
  { name: 'bootstrap counts', ...data(2, 400), weights: drawCounts(3, 400) },
  { name: 'fractional weights', ...data(4, 300), weights: fractional(5, 300) },
  { name: 'zeros in yTrue (mape divides by eps)', ...data(6, 300, 0, 0.1) },
  { name: 'zeros in yTrue, weighted', ...data(7, 300, 0, 0.1), weights: fractional(8, 300) },
  { name: 'a large offset', ...data(9, 400, 1e6), weights: drawCounts(10, 400) },
  { name: 'perfect predictions', yTrue: data(11, 100).yTrue, yPred: data(11, 100).yTrue },
  { name: 'constant yTrue', yTrue: constant, yPred: constant.map((y, i) => y + (i % 3) - 1) },
  {
    name: 'constant yTrue, weighted',
    yTrue: [0.1, 0.1, 0.1, 0.7],
    yPred: [0.2, 0.1, 0, 0.7],
    weights: [0.3, 1, 2, 0],
  },
  { name: 'one row', yTrue: [1.5], yPred: [2] },
];

/** A zero-weight row is absent, so sklearn sees only the rows of positive weight. */
function sklearnCase(c: Case) {
  const rows = c.yTrue.map((_, i) => i).filter((i) => !c.weights || c.weights[i]! > 0);
  const args: [number[], number[], number[] | null] = [
    rows.map((i) => c.yTrue[i]!),
    rows.map((i) => c.yPred[i]!),
    c.weights ? rows.map((i) => c.weights![i]!) : null,
  ];
  return { fn: 'regression' as const, args };
}

describe('regression metrics agree with scikit-learn 1.2.1', () => {
  const expected = sklearn(cases.map(sklearnCase)) as Record<keyof RegressionScores, number | null>[];
  cases.forEach((c, i) => {
    it(c.name, () => {
      const got = regressionMetrics(
        Float64Array.from(c.yTrue),
        Float64Array.from(c.yPred),
        c.weights && Float64Array.from(c.weights),
      );
      for (const name of ['mae', 'rmse', 'r2', 'mape'] as const) close(got[name], expected[i]![name], name);
    });
  });
});

describe('regression weights', () => {
  it('one preparation serves many weight vectors', () => {
    const { yTrue, yPred } = data(20, 300);
    const prepared = prepareRegression(Float64Array.from(yTrue), Float64Array.from(yPred));
    for (const seed of [21, 22]) {
      const w = Float64Array.from(drawCounts(seed, 300));
      assert.deepEqual(
        prepared.compute(w),
        regressionMetrics(Float64Array.from(yTrue), Float64Array.from(yPred), w),
      );
    }
  });

  it('rejects mismatched lengths', () => {
    assert.throws(() => prepareRegression(new Float64Array(3), new Float64Array(2)), RangeError);
    assert.throws(
      () => prepareRegression(new Float64Array(3), new Float64Array(3)).compute(new Float64Array(1)),
      RangeError,
    );
  });
});
