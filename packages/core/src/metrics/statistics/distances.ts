/** Distances between two samples or two distributions, as scipy defines them. */

/**
 * Walks the pooled values of two ascending samples in order, calling `visit` once per distinct
 * value x with the next pooled value (undefined at the end) and both empirical CDFs at x.
 */
export function walkEcdfs(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  visit: (x: number, next: number | undefined, fa: number, fb: number) => void,
): void {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  while (i < na || j < nb) {
    const x = j >= nb || (i < na && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < na && a[i]! <= x) i++;
    while (j < nb && b[j]! <= x) j++;
    const next = i >= na && j >= nb ? undefined : j >= nb || (i < na && a[i]! < b[j]!) ? a[i]! : b[j]!;
    visit(x, next, i / na, j / nb);
  }
}

/**
 * Wasserstein-1 between the empirical distributions of two sorted samples: the area
 * between their CDFs, ∫|U − V|, summed over the gaps of the pooled values
 * (scipy.stats.wasserstein_distance with equal weights).
 */
export function wasserstein1(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let area = 0;
  walkEcdfs(u, v, (x, next, fu, fv) => {
    if (next !== undefined) area += (next - x) * Math.abs(fu - fv);
  });
  return area;
}

/**
 * Jensen–Shannon distance, base 2, between two histograms over the same bins
 * (scipy.spatial.distance.jensenshannon(p, q, base=2)): each is normalised first.
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const sp = sum(p);
  const sq = sum(q);
  let div = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) div += a * Math.log(a / m);
    if (b > 0) div += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, div / 2) / Math.LN2);
}

/**
 * Population stability index of `actual` against `expected` bin counts. Each fraction is
 * smoothed additively, (count + α) / (n + α·bins) with α = 0.5, so an empty bin costs a
 * finite amount instead of an infinite one.
 */
export const PSI_ALPHA = 0.5;
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  const k = expected.length;
  const ne = sum(expected) + PSI_ALPHA * k;
  const na = sum(actual) + PSI_ALPHA * k;
  let total = 0;
  for (let i = 0; i < k; i++) {
    const e = (expected[i]! + PSI_ALPHA) / ne;
    const a = (actual[i]! + PSI_ALPHA) / na;
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}
