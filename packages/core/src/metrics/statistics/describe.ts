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
 * Counts of a sorted sample in the bins (−∞, e1], (e1, e2], …, (e_last, ∞); a NaN (sorted last)
 * stays in the bin of the largest value, where a walk over the sample leaves it. A binary search
 * per edge, not a walk: 28 walks over a million values were a quarter second of validate-data.
 */
export function binCounts(sorted: ArrayLike<number>, edges: number[]): number[] {
  let valued = sorted.length;
  while (valued > 0 && Number.isNaN(sorted[valued - 1]!)) valued--;
  // How many values lie in each edge's bin or a lower one: those the edge is not below.
  const atMost = edges.map((e) => {
    let lo = 0;
    let hi = valued;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (!(e < sorted[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
  const counts = [...atMost, valued].map((c, i) => c - (i === 0 ? 0 : atMost[i - 1]!));
  // The largest value is past every edge some value exceeds.
  counts[atMost.filter((c) => c < valued).length]! += sorted.length - valued;
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
