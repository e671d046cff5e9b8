/**
 * The Mann–Whitney U test with scipy.stats.mannwhitneyu's semantics (scipy 1.10, Debian bookworm's):
 * U is the first sample's statistic, R₁ − n₁(n₁+1)/2 with ties at their midranks; `auto` chooses
 * the exact null distribution when one sample has at most 8 values and there are no ties, the
 * normal approximation (tie-corrected variance, continuity correction of ½) otherwise.
 * `exact` ignores ties, as scipy's does, and costs O(min(n₁,n₂)·n₁·n₂): meant for small samples.
 */
import { normalSf } from './normal.ts';

/** min(n₁,n₂)·n₁·n₂ above which the exact distribution would take seconds and gigabytes. */
const EXACT_LIMIT = 2e9;

export type Alternative = 'two-sided' | 'less' | 'greater';

export interface MannWhitney {
  /** U of the first sample, as scipy's statistic. */
  u: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** What one merge of the two sorted samples gives: the first's rank sum, the tie term Σ(t³ − t). */
export interface RankSums {
  rankSumX: number;
  tieTerm: number;
  hasTies: boolean;
}

export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  alternative: Alternative = 'two-sided',
  method: 'auto' | 'exact' | 'asymptotic' = 'auto',
): MannWhitney {
  return mannWhitneyUSorted(sortedSample(x, 'x'), sortedSample(y, 'y'), alternative, method);
}

/** The same test on samples already sorted ascending (the judge sorts once for U and Hodges–Lehmann). */
export function mannWhitneyUSorted(
  xs: Float64Array,
  ys: Float64Array,
  alternative: Alternative = 'two-sided',
  method: 'auto' | 'exact' | 'asymptotic' = 'auto',
): MannWhitney {
  return mannWhitneyFromRanks(xs.length, ys.length, rankSums(xs, ys), alternative, method);
}

/** The test from one merge of the samples, rankSums(), which Hodges–Lehmann's interval shares. */
export function mannWhitneyFromRanks(
  n1: number,
  n2: number,
  ranks: RankSums,
  alternative: Alternative = 'two-sided',
  method: 'auto' | 'exact' | 'asymptotic' = 'auto',
): MannWhitney {
  const u1 = ranks.rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const [u, factor] =
    alternative === 'greater' ? [u1, 1] : alternative === 'less' ? [u2, 1] : [Math.max(u1, u2), 2];
  const chosen = method === 'auto' ? ((n1 > 8 && n2 > 8) || ranks.hasTies ? 'asymptotic' : 'exact') : method;
  if (chosen === 'exact' && Math.min(n1, n2) * n1 * n2 > EXACT_LIMIT) {
    throw new RangeError(
      `mannWhitneyU: the exact distribution of ${n1} × ${n2} is too large; use 'asymptotic'`,
    );
  }
  const tail =
    chosen === 'exact' ? exactSf(Math.trunc(u), n1, n2) : normalSf(mannWhitneyZ(u, n1, n2, ranks.tieTerm));
  return { u: u1, pValue: Math.min(1, Math.max(0, factor * tail)), method: chosen };
}

/** A sample as a sorted Float64Array; NaN has no rank, and an empty sample no statistic. */
export function sortedSample(values: readonly number[], name: string): Float64Array {
  if (values.length === 0) throw new RangeError(`mannWhitneyU: sample ${name} is empty`);
  const sorted = new Float64Array(values).sort();
  if (Number.isNaN(sorted[sorted.length - 1]))
    throw new RangeError(`mannWhitneyU: sample ${name} contains NaN`);
  return sorted;
}

/** Walks both sorted samples once, giving each run of equal values its midrank. */
export function rankSums(xs: Float64Array, ys: Float64Array): RankSums {
  let i = 0;
  let j = 0;
  let below = 0;
  let rankSumX = 0;
  let tieTerm = 0;
  while (i < xs.length || j < ys.length) {
    const v = j >= ys.length || (i < xs.length && xs[i]! <= ys[j]!) ? xs[i]! : ys[j]!;
    const i0 = i;
    const j0 = j;
    while (i < xs.length && xs[i] === v) i++;
    while (j < ys.length && ys[j] === v) j++;
    const t = i - i0 + (j - j0);
    rankSumX += (i - i0) * (below + (t + 1) / 2);
    tieTerm += t * t * t - t;
    below += t;
  }
  return { rankSumX, tieTerm, hasTies: tieTerm > 0 };
}

/** The standardized U with scipy's tie correction and the ½ continuity correction. */
export function mannWhitneyZ(u: number, n1: number, n2: number, tieTerm: number): number {
  const n = n1 + n2;
  // All values tied: the variance is 0 (or a rounding below it), z is −∞ and the p-value 1, as scipy's.
  const sigma = Math.sqrt(Math.max(0, ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)))));
  return (u - (n1 * n2) / 2 - 0.5) / sigma;
}

/**
 * P(U ≥ u) under the null: by symmetry P(U ≤ n₁n₂ − u), summed from the generating function
 * Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i), the Gaussian binomial [m+n choose m] (Harding 1984), kept
 * normalized by i/(n+i) at each factor so it stays a distribution and never overflows.
 */
export function exactSf(u: number, n1: number, n2: number): number {
  const k = n1 * n2 - u;
  if (k < 0) return 0;
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  const pmf = new Float64Array(k + 1);
  pmf[0] = 1;
  for (let i = 1; i <= m; i++) {
    for (let c = k; c >= n + i; c--) pmf[c]! -= pmf[c - n - i]!;
    for (let c = i; c <= k; c++) pmf[c]! += pmf[c - i]!;
    const scale = i / (n + i);
    for (let c = 0; c <= k; c++) pmf[c]! *= scale;
  }
  let cdf = 0;
  for (let c = 0; c <= k; c++) cdf += pmf[c]!;
  return cdf;
}
