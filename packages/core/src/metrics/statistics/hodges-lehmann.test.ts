import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { python } from '../../../../../test/support/python.ts';
import { rng } from '../../../../../test/support/scipy.ts';
import { hodgesLehmann } from './hodges-lehmann.ts';

const REF = '../../packages/core/src/metrics/statistics/rank_tests_ref.py';

function sample(seed: number, n: number, shift = 0, digits = 6): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Number((shift + r.normal()).toFixed(digits)));
}

// Sizes from one difference to 3.6 million (past the point where selection sorts what is left),
// odd and even m·n, heavy ties, a skewed sample and several confidence levels.
const cases: { name: string; x: number[]; y: number[]; confidence: number }[] = [
  { name: '1 × 1', x: [2.5], y: [1], confidence: 0.98 },
  { name: '3 × 5, odd m·n', x: sample(1, 3, 1), y: sample(2, 5), confidence: 0.9 },
  { name: '10 × 10', x: sample(3, 10, 0.5), y: sample(4, 10), confidence: 0.98 },
  { name: '50 × 40, heavy ties', x: sample(5, 50, 0.3, 0), y: sample(6, 40, 0, 0), confidence: 0.95 },
  { name: 'every value tied', x: [4, 4, 4, 4], y: [4, 4, 4], confidence: 0.98 },
  { name: 'two values, one per side', x: [5, 5, 5, 5, 5, 5], y: [3, 3, 3, 3, 3], confidence: 0.98 },
  {
    name: '300 × 200, skewed',
    x: sample(7, 300, 0).map((v) => Math.exp(v)),
    y: sample(8, 200, -0.2).map((v) => Math.exp(v)),
    confidence: 0.98,
  },
  { name: '1000 × 1500, 2 digits', x: sample(9, 1000, 0.05, 2), y: sample(10, 1500, 0, 2), confidence: 0.98 },
  { name: '1 × 5000', x: [0.25], y: sample(14, 5000, 0, 1), confidence: 0.98 },
  { name: '5000 × 1', x: sample(15, 5000, 0, 3), y: [-0.5], confidence: 0.99 },
  { name: '2000 × 1800, 50 %', x: sample(11, 2000, -0.1), y: sample(12, 1800), confidence: 0.5 },
];

describe('Hodges–Lehmann agrees with every pairwise difference computed by numpy', () => {
  const expected = python<[number, number, number, number][]>(
    REF,
    cases.map((c) => ({ fn: 'hodges_lehmann', args: [c.x, c.y, c.confidence] })),
  );
  cases.forEach((c, i) => {
    it(c.name, () => {
      const got = hodgesLehmann(c.x, c.y, c.confidence);
      const [estimate, low, high] = expected[i]!;
      assert.ok(
        Math.abs(got.estimate - estimate) <= 1e-12 * Math.max(1, Math.abs(estimate)),
        `estimate ${got.estimate} vs ${estimate}`,
      );
      assert.equal(got.low, low, 'low');
      assert.equal(got.high, high, 'high');
      assert.ok(got.low <= got.estimate && got.estimate <= got.high);
    });
  });

  it('the estimate is the shift itself when one sample is the other moved', () => {
    const y = sample(13, 400);
    const got = hodgesLehmann(
      y.map((v) => v + 3),
      y,
      0.98,
    );
    assert.ok(Math.abs(got.estimate - 3) < 1e-12, String(got.estimate));
    assert.ok(got.low < 3 && got.high > 3);
  });

  it('refuses a confidence outside (0, 1) and infinite values', () => {
    assert.throws(() => hodgesLehmann([1], [2], 1), /confidence 1 is not in \(0, 1\)/);
    assert.throws(
      () => hodgesLehmann([1, Number.POSITIVE_INFINITY], [2], 0.9),
      /sample x holds an infinite value/,
    );
  });
});
