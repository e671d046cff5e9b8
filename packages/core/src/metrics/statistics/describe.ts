/** Descriptive statistics of a sorted sample, in one pass where possible. */

/** Linear-interpolation quantile (numpy's default, DuckDB's quantile_cont). */
export function quantileSorted(xs: ArrayLike<number>, q: number): number {
  const n = xs.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

export interface Description {
  count: number;
  distinct: number;
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (n − 1), as pandas reports it. */
  std: number;
  quantiles: Record<string, number>;
}

export const PROFILE_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];

export function describeSorted(xs: ArrayLike<number>): Description {
  const n = xs.length;
  let mean = 0;
  let m2 = 0;
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    // Welford's update: stable for large n where the naive sum of squares cancels.
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
    if (i === 0 || x !== xs[i - 1]) distinct++;
  }
  const quantiles: Record<string, number> = {};
  for (const q of PROFILE_QUANTILES) quantiles[`p${Math.round(q * 100)}`] = quantileSorted(xs, q);
  return {
    count: n,
    distinct,
    min: n ? xs[0]! : Number.NaN,
    max: n ? xs[n - 1]! : Number.NaN,
    mean: n ? mean : Number.NaN,
    std: n > 1 ? Math.sqrt(m2 / (n - 1)) : Number.NaN,
    quantiles,
  };
}

/**
 * Counts of a sample, in any order, in the bins (−∞, e1], (e1, e2], …, (e_last, ∞). A NaN is
 * counted where an ascending walk over the sorted sample leaves it (NaN sorts last): in the bin
 * of the largest value, so a reference that is never sorted is binned as a sorted one was.
 */
export function binCounts(values: ArrayLike<number>, edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  // The first bin whose edge x does not exceed: edges ascend (ties dropped), so a binary search.
  const binOf = (x: number) => {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x > edges[mid]!) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let nans = 0;
  let largest = Number.NEGATIVE_INFINITY;
  let bin = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) {
      nans++;
      continue;
    }
    // Ascending runs (a sorted sample is one) walk on from the last bin; a step down searches.
    if (x >= largest) {
      while (bin < edges.length && x > edges[bin]!) bin++;
      largest = x;
    } else bin = binOf(x);
    counts[bin]!++;
  }
  if (nans) counts[nans === values.length ? 0 : binOf(largest)]! += nans;
  return counts;
}

/** Bin edges at the reference's quantiles i/bins, duplicates dropped (ties in the reference). */
export function quantileEdges(sortedReference: ArrayLike<number>, bins: number): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSorted(sortedReference, i / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return edges;
}
