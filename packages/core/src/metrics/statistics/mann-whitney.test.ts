import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { python } from '../../../../../test/support/python.ts';
import { rng } from '../../../../../test/support/scipy.ts';
import { type Alternative, mannWhitneyU } from './mann-whitney.ts';
import { normalQuantile, normalSf } from './normal.ts';

const P_TOL = 1e-6;
const REF = '../../packages/core/src/metrics/statistics/rank_tests_ref.py';

/** n normal draws, shifted and rounded to `digits` (few digits: many ties). */
function sample(seed: number, n: number, shift = 0, digits = 6): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Number((shift + r.normal()).toFixed(digits)));
}

type Method = 'auto' | 'exact' | 'asymptotic';
interface Case {
  name: string;
  x: number[];
  y: number[];
  method: Method;
  expect: 'exact' | 'asymptotic';
}

const cases: Case[] = [
  {
    name: 'scipy docs example, 5 × 4',
    x: [19, 22, 16, 29, 24],
    y: [20, 11, 17, 12],
    method: 'auto',
    expect: 'exact',
  },
  { name: 'exact, 3 × 8', x: sample(1, 3, 0.8), y: sample(2, 8), method: 'auto', expect: 'exact' },
  { name: 'exact, 8 × 8', x: sample(3, 8, 0.5), y: sample(4, 8), method: 'auto', expect: 'exact' },
  {
    name: 'exact, one side of 7 against 200',
    x: sample(5, 7, 0.3),
    y: sample(6, 200),
    method: 'auto',
    expect: 'exact',
  },
  { name: 'exact, 1 × 1', x: [1], y: [2], method: 'auto', expect: 'exact' },
  {
    name: 'exact forced, 25 × 30',
    x: sample(7, 25, 0.4),
    y: sample(8, 30),
    method: 'exact',
    expect: 'exact',
  },
  {
    name: 'exact forced with ties, 6 × 9',
    x: sample(9, 6, 0.5, 0),
    y: sample(10, 9, 0, 0),
    method: 'exact',
    expect: 'exact',
  },
  {
    name: 'small with ties goes asymptotic, 5 × 6',
    x: sample(11, 5, 0.4, 0),
    y: sample(12, 6, 0, 0),
    method: 'auto',
    expect: 'asymptotic',
  },
  {
    name: 'asymptotic, 9 × 9',
    x: sample(13, 9, 0.7),
    y: sample(14, 9),
    method: 'auto',
    expect: 'asymptotic',
  },
  {
    name: 'asymptotic forced, 5 × 4',
    x: [19, 22, 16, 29, 24],
    y: [20, 11, 17, 12],
    method: 'asymptotic',
    expect: 'asymptotic',
  },
  {
    name: 'asymptotic with heavy ties, 300 × 250',
    x: sample(15, 300, 0.1, 0),
    y: sample(16, 250, 0, 0),
    method: 'auto',
    expect: 'asymptotic',
  },
  {
    name: 'asymptotic, 1000 × 1200',
    x: sample(17, 1000, 0.05, 2),
    y: sample(18, 1200, 0, 2),
    method: 'auto',
    expect: 'asymptotic',
  },
  {
    name: 'asymptotic, 10,000 × 10,000',
    x: sample(19, 10000, 0.02),
    y: sample(20, 10000),
    method: 'auto',
    expect: 'asymptotic',
  },
  {
    name: 'every value tied',
    x: [3, 3, 3, 3, 3, 3, 3, 3, 3],
    y: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    method: 'auto',
    expect: 'asymptotic',
  },
  {
    name: 'no overlap, 12 × 15',
    x: sample(21, 12, 10),
    y: sample(22, 15),
    method: 'auto',
    expect: 'asymptotic',
  },
];
const alternatives: Alternative[] = ['two-sided', 'less', 'greater'];

describe('Mann–Whitney U agrees with scipy.stats.mannwhitneyu', () => {
  const requests = cases.flatMap((c) =>
    alternatives.map((alt) => ({ fn: 'mannwhitneyu', args: [c.x, c.y, alt, c.method] })),
  );
  const expected = python<[number, number][]>(REF, requests);
  cases.forEach((c, i) => {
    it(c.name, () => {
      alternatives.forEach((alt, a) => {
        const got = mannWhitneyU(c.x, c.y, alt, c.method);
        const [u, p] = expected[i * alternatives.length + a]!;
        assert.equal(got.u, u, `${alt}: U`);
        assert.ok(Math.abs(got.pValue - p) <= P_TOL, `${alt}: p ${got.pValue} vs scipy ${p}`);
        assert.equal(got.method, c.expect);
      });
    });
  });

  it('refuses an empty sample and NaN, as scipy does, and an exact distribution too large to compute', () => {
    assert.throws(() => mannWhitneyU([], [1, 2]), /sample x is empty/);
    assert.throws(() => mannWhitneyU([1, Number.NaN], [1, 2]), /sample x contains NaN/);
    const big = sample(23, 2000);
    assert.throws(() => mannWhitneyU(big, big, 'two-sided', 'exact'), /too large; use 'asymptotic'/);
  });
});

describe('the normal distribution agrees with scipy.stats.norm', () => {
  const zs = [-8, -3.2, -1, -1e-3, 0, 0.5, 1.96, 2.326, 5, 12, 37];
  const ps = [1e-12, 1e-6, 0.01, 0.02425, 0.3, 0.5, 0.8, 0.975, 0.99, 0.999999];
  const expected = python<[number, number][]>(
    REF,
    zs.map((z, i) => ({ fn: 'norm', args: [z, ps[i % ps.length]] })),
  );
  it('sf keeps relative precision in the tails; ppf to 1e-12', () => {
    zs.forEach((z, i) => {
      const [sf, ppf] = expected[i]!;
      assert.ok(
        Math.abs(normalSf(z) - sf) <= 1e-13 * Math.max(sf, 1e-300) + 1e-300,
        `sf(${z}) ${normalSf(z)} vs ${sf}`,
      );
      const p = ps[i % ps.length]!;
      assert.ok(
        Math.abs(normalQuantile(p) - ppf) <= 1e-12 * Math.max(1, Math.abs(ppf)),
        `ppf(${p}) ${normalQuantile(p)} vs ${ppf}`,
      );
    });
  });
});
