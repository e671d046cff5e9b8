import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng, type ScipyCase, scipy } from '../../../../../test/support/scipy.ts';
import { chi2Contingency } from './chi2.ts';
import { binCounts, quantileEdges, quantileSorted } from './describe.ts';
import { jensenShannon, wasserstein1 } from './distances.ts';
import { kolmogorovSf } from './kolmogorov.ts';
import { ks2Samp } from './ks.ts';
import { chi2Sf } from './special.ts';

const STAT_TOL = 1e-6;
const P_TOL = 1e-4;
const sorted = (xs: number[]) => Float64Array.from(xs).sort();
const round = (xs: number[], digits: number) => xs.map((x) => Number(x.toFixed(digits)));

function sample(seed: number, n: number, shift = 0, scale = 1, digits = 6) {
  const r = rng(seed);
  return round(
    Array.from({ length: n }, () => shift + scale * r.normal()),
    digits,
  );
}

describe('two-sample Kolmogorov–Smirnov agrees with scipy.stats.ks_2samp', () => {
  // Sizes cover equal and unequal exact paths, ties (coarse rounding), and the asymptotic path.
  const pairs: [number, number, number, number][] = [
    [20, 20, 0, 6],
    [50, 50, 0.3, 6],
    [40, 55, 0.5, 6],
    [150, 120, 0.2, 1],
    [300, 700, 0.1, 6],
    [1000, 1000, 0.05, 2],
    [2000, 3000, 0.02, 6],
    [9000, 10000, 0.01, 6],
    [12000, 9000, 0.03, 6],
    [20000, 20000, 0.02, 6],
    [15000, 400, 0.05, 6],
    [30000, 25000, 0.0, 6],
  ];
  const samples = pairs.map(([n1, n2, shift, digits], i) => [
    sample(100 + i, n1, 0, 1, digits),
    sample(200 + i, n2, shift, 1.05, digits),
  ]);
  const expected = scipy(samples.map((s) => ({ fn: 'ks_2samp', args: s }))) as [number, number][];
  pairs.forEach(([n1, n2, shift], i) => {
    it(`n1=${n1} n2=${n2} shift=${shift}`, () => {
      const [a, b] = samples[i]!;
      const got = ks2Samp(sorted(a!), sorted(b!));
      const [stat, p] = expected[i]!;
      assert.ok(Math.abs(got.statistic - stat) <= STAT_TOL, `statistic ${got.statistic} vs ${stat}`);
      assert.ok(Math.abs(got.pValue - p) <= P_TOL, `p-value ${got.pValue} vs ${p} (${got.method})`);
    });
  });
});

describe('kstwo survival function agrees with scipy.stats.kstwo.sf in every region', () => {
  const points: [number, number][] = [];
  for (const n of [3, 10, 60, 140, 141, 500, 5000, 100000, 100001, 500000]) {
    for (const z of [0.3, 0.6, 0.9, 1.2, 1.5, 2.0, 3.0]) points.push([z / Math.sqrt(n), n]);
    points.push([0.7 / n, n], [0.6, n]);
  }
  const expected = scipy(points.map((args) => ({ fn: 'kstwo_sf', args }))) as number[];
  it(`${points.length} points`, () => {
    points.forEach(([d, n], i) => {
      const got = kolmogorovSf(d, n);
      assert.ok(Math.abs(got - expected[i]!) <= P_TOL, `kstwo.sf(${d}, ${n}) = ${got}, scipy ${expected[i]}`);
    });
  });
});

describe('chi-square agrees with scipy.stats.chi2_contingency', () => {
  const tables = [
    [
      [10, 20, 30],
      [12, 18, 33],
    ],
    [
      [50, 5],
      [40, 15],
    ],
    [
      [1000, 2000, 3000, 10, 0],
      [900, 2100, 2800, 40, 3],
    ],
    [[5], [7]],
    [
      [333, 333, 334],
      [300, 400, 300],
    ],
  ];
  const expected = scipy(tables.map((t) => ({ fn: 'chi2_contingency', args: [t] }))) as [number, number][];
  tables.forEach((t, i) => {
    it(`table ${i + 1}`, () => {
      const got = chi2Contingency(t);
      const [stat, p] = expected[i]!;
      assert.ok(
        Math.abs(got.statistic - stat) <= STAT_TOL * Math.max(1, stat),
        `${got.statistic} vs ${stat}`,
      );
      assert.ok(Math.abs(got.pValue - p) <= P_TOL, `${got.pValue} vs ${p}`);
    });
  });
  it('chi2 survival function across degrees of freedom', () => {
    const cases: [number, number][] = [
      [0.5, 1],
      [3.84, 1],
      [10, 4],
      [100, 80],
      [2000, 1900],
      [1e-3, 3],
    ];
    const want = scipy(cases.map((args) => ({ fn: 'chi2_sf', args }) as ScipyCase)) as number[];
    for (const [i, [x, k]] of cases.entries()) {
      assert.ok(Math.abs(chi2Sf(x, k) - want[i]!) <= 1e-10, `chi2.sf(${x}, ${k})`);
    }
  });
});

describe('distances agree with scipy', () => {
  const u = sample(7, 400, 0, 1);
  const v = sample(8, 333, 0.4, 2, 2);
  const p = [10, 0, 5, 7, 1];
  const q = [3, 4, 0, 9, 9];
  const [w, js, q25] = scipy([
    { fn: 'wasserstein', args: [u, v] },
    { fn: 'jensenshannon', args: [p, q] },
    { fn: 'quantile', args: [v, 0.25] },
  ]) as number[];
  it('wasserstein_distance', () => assert.ok(Math.abs(wasserstein1(sorted(u), sorted(v)) - w!) <= STAT_TOL));
  it('jensenshannon, base 2', () => assert.ok(Math.abs(jensenShannon(p, q) - js!) <= STAT_TOL));
  it('quantile (linear interpolation)', () =>
    assert.ok(Math.abs(quantileSorted(sorted(v), 0.25) - q25!) <= 1e-12));
  it('identical samples are at distance zero', () => {
    assert.equal(wasserstein1(sorted(u), sorted(u)), 0);
    assert.equal(jensenShannon(p, p), 0);
  });
});

describe('PSI bin counts equal a walk over the sorted sample', () => {
  /** The definition: advance to the next bin while the value is above its edge. */
  const walk = (xs: Float64Array, edges: number[]) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    let bin = 0;
    for (const x of xs) {
      while (bin < edges.length && x > edges[bin]!) bin++;
      counts[bin]!++;
    }
    return counts;
  };
  const r = rng(11);
  const samples: [string, () => number][] = [
    ['continuous', () => r.normal() * 10],
    ['few distinct values (tied edges dropped)', () => Math.floor(r.next() * 4)],
    ['signed zeros and infinities', () => [0, -0, Infinity, -Infinity, r.next()][Math.floor(r.next() * 5)]!],
    ['NaNs', () => (r.next() < 0.3 ? Number.NaN : r.next() * 10)],
    ['mostly NaN, so the first edge is NaN', () => (r.next() < 0.95 ? Number.NaN : r.next())],
  ];
  for (const [name, make] of samples) {
    it(name, () => {
      const reference = Float64Array.from({ length: 5000 }, make).sort();
      const current = Float64Array.from({ length: 3000 }, () => make() * 0.9).sort();
      for (const bins of [2, 10, 25]) {
        const edges = quantileEdges(reference, bins);
        assert.deepEqual(binCounts(reference, edges), walk(reference, edges), `reference, ${bins} bins`);
        assert.deepEqual(binCounts(current, edges), walk(current, edges), `current, ${bins} bins`);
      }
      const other = [-Infinity, -1, -0, 0.5, 3, 1e9];
      assert.deepEqual(binCounts(current, other), walk(current, other), 'edges not from the reference');
    });
  }

  it('edges above every value: the NaNs stay in the bin of the largest', () => {
    const xs = Float64Array.of(1, 2, 2, 3, Number.NaN, Number.NaN);
    assert.deepEqual(binCounts(xs, [0, 2.5, 10, 20]), [0, 3, 3, 0, 0]);
    assert.deepEqual(binCounts(Float64Array.of(Number.NaN), [1]), [1, 0]);
    assert.deepEqual(binCounts(new Float64Array(0), [1, 2]), [0, 0, 0]);
  });
});
