import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng } from '../../../../test/support/scipy.ts';
import { sklearn } from '../../../../test/support/sklearn.ts';
import { prepareClassification } from './classification.ts';
import { type DeltaStatistic, mcnemarExact, pairedBootstrap, pickRows } from './paired.ts';

describe('McNemar exact test agrees with scipy.stats.binomtest', () => {
  const pairs: [number, number][] = [
    [0, 1],
    [0, 5],
    [3, 7],
    [7, 3],
    [10, 10],
    [11, 10],
    [12, 10],
    [30, 300],
    [100, 150],
    [1000, 1100],
    [1500, 1200],
    [50000, 51000],
    [500000, 502000],
    [4000000, 4003000],
  ];
  const expected = sklearn(
    pairs.map(([b, c]) => ({ fn: 'binomtest', args: [Math.min(b, c), b + c] })),
  ) as number[];
  pairs.forEach(([b, c], i) => {
    it(`b=${b} c=${c}`, () => {
      const p = mcnemarExact(b, c);
      const want = expected[i]!;
      assert.ok(Math.abs(p - want) <= 1e-6 * want || Math.abs(p - want) <= 1e-300, `${p} vs scipy ${want}`);
    });
  });

  it('is 1 without discordant rows (scipy needs n ≥ 1)', () => {
    assert.equal(mcnemarExact(0, 0), 1);
  });

  it('rejects counts that are not non-negative integers', () => {
    assert.throws(() => mcnemarExact(-1, 3), RangeError);
    assert.throws(() => mcnemarExact(1.5, 3), RangeError);
  });
});

/** Two classifiers on the same rows: B's scores carry more signal than A's. */
function twoModels(seed: number, n: number, k = 3) {
  const r = rng(seed);
  const yTrue = new Int32Array(n);
  const model = () => ({ yPred: new Int32Array(n), proba: new Float64Array(n * k) });
  const a = model();
  const b = model();
  for (let i = 0; i < n; i++) {
    const y = Math.min(k - 1, Math.floor(r.next() * k));
    yTrue[i] = y;
    for (const [m, signal] of [
      [a, 0.8],
      [b, 1.0],
    ] as const) {
      const z = Array.from({ length: k }, (_, j) => Math.exp(r.normal() + (j === y ? signal : 0)));
      const sum = z.reduce((s, v) => s + v, 0);
      z.forEach((v, j) => {
        m.proba[i * k + j] = v / sum;
      });
      m.yPred[i] = z.indexOf(Math.max(...z));
    }
  }
  return { yTrue, a, b, k };
}

type Models = ReturnType<typeof twoModels>;

/** The caller's side of the bootstrap API: prepare both models over the subset, return B − A. */
function deltas(models: Models, seen?: Int32Array[]) {
  return (subset?: Int32Array): DeltaStatistic => {
    if (subset) seen?.push(subset);
    const { yTrue, a, b, k } = models;
    const prepare = (m: Models['a']) =>
      prepareClassification({
        yTrue: pickRows(yTrue, subset),
        yPred: pickRows(m.yPred, subset),
        proba: pickRows(m.proba, subset, k),
        k,
      });
    const [pa, pb] = [prepare(a), prepare(b)];
    return (weights) => {
      const [sa, sb] = [pa.compute(weights).scores, pb.compute(weights).scores];
      return {
        accuracy: sb.accuracy - sa.accuracy,
        f1_macro: sb.f1_macro - sa.f1_macro,
        roc_auc: sb.roc_auc! - sa.roc_auc!,
      };
    };
  };
}

/** 95% normal-approximation width of the mean paired difference in correctness. */
function normalWidth({ yTrue, a, b }: Models): number {
  const n = yTrue.length;
  const d = Array.from(yTrue, (y, i) => Number(b.yPred[i] === y) - Number(a.yPred[i] === y));
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const variance = d.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  return 2 * 1.959964 * Math.sqrt(variance / n);
}

describe('paired bootstrap', () => {
  const models = twoModels(1, 3000);
  const run = (seed: number) => pairedBootstrap({ rows: 3000, prepare: deltas(models), seed });

  it('is reproducible for a seed and differs between seeds', () => {
    const first = run(7);
    assert.deepEqual(run(7), first);
    assert.notDeepEqual(run(8).intervals, first.intervals);
    assert.equal(first.scale, 1);
    assert.equal(first.rowsPerResample, 3000);
  });

  it('brackets the full-sample delta, with a width near the normal approximation', () => {
    const { intervals } = run(3);
    for (const [name, { delta, low, high, resamples }] of Object.entries(intervals)) {
      assert.ok(low < delta && delta < high, `${name}: ${delta} outside [${low}, ${high}]`);
      assert.equal(resamples, 1000);
    }
    const { low, high } = intervals['accuracy']!;
    const ratio = (high - low) / normalWidth(models);
    assert.ok(ratio > 0.75 && ratio < 1.25, `bootstrap / normal width = ${ratio}`);
  });

  it('above maxRows, bootstraps a subset and rescales to the full sample', () => {
    const big = twoModels(2, 60000);
    const seen: Int32Array[] = [];
    const result = pairedBootstrap({
      rows: 60000,
      prepare: deltas(big, seen),
      maxRows: 4000,
      resamples: 400,
    });
    assert.equal(seen.length, 1);
    const subset = seen[0]!;
    assert.equal(subset.length, 4000);
    assert.ok(subset.every((r, i) => r >= 0 && r < 60000 && (i === 0 || r > subset[i - 1]!)));
    assert.equal(result.rowsPerResample, 4000);
    assert.equal(result.scale, Math.sqrt(4000 / 60000));
    const { delta, low, high } = result.intervals['accuracy']!;
    assert.ok(low < delta && delta < high, `${delta} outside [${low}, ${high}]`);
    const ratio = (high - low) / normalWidth(big);
    assert.ok(ratio > 0.75 && ratio < 1.25, `bootstrap / normal width = ${ratio}`);
  });

  it('leaves out resamples where a delta is NaN', () => {
    const result = pairedBootstrap({
      rows: 200,
      resamples: 300,
      prepare: () => (w) => ({ first: w && w[0] === 0 ? Number.NaN : (w?.[1] ?? 1) }),
    });
    const { resamples, low, high, delta } = result.intervals['first']!;
    // Row 0 is left out of a resample with probability (1 − 1/200)^200 ≈ e⁻¹.
    assert.ok(resamples > 150 && resamples < 240, `${resamples} resamples`);
    assert.equal(delta, 1);
    assert.ok(low >= 0 && high >= low && high <= 5);
  });

  it('gives the callback draw counts that sum to the rows drawn', () => {
    const totals: number[] = [];
    pairedBootstrap({
      rows: 50,
      resamples: 20,
      prepare: () => (w) => {
        if (w) totals.push(w.reduce((s, v) => s + v, 0));
        return {};
      },
    });
    assert.deepEqual(totals, new Array(20).fill(50));
  });
});

describe('pickRows', () => {
  it('selects whole rows of a row-major array, and passes everything through without a subset', () => {
    const values = Float32Array.from([0, 1, 10, 11, 20, 21]);
    assert.deepEqual(pickRows(values, Int32Array.from([0, 2]), 2), Float32Array.from([0, 1, 20, 21]));
    assert.equal(pickRows(values, undefined, 2), values);
  });
});
