/**
 * histogram_quantile as Prometheus computes it from cumulative bucket counts: find the bucket the
 * rank falls in and interpolate linearly inside it; the lowest bucket starts at 0 (when its bound
 * is positive); a rank in the +Inf bucket answers the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted.at(-1)!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Cumulative counts must not fall; a scrape mid-update can make them, and Prometheus evens them out.
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]!.count < sorted[i - 1]!.count) sorted[i] = { ...sorted[i]!, count: sorted[i - 1]!.count };
  const total = sorted.at(-1)!.count;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  const i = sorted.findIndex((b) => b.count >= rank);
  if (i === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  const b = sorted[i]!;
  const lower = i === 0 ? (b.le > 0 ? 0 : b.le) : sorted[i - 1]!.le;
  const below = i === 0 ? 0 : sorted[i - 1]!.count;
  if (i === 0 && b.le <= 0) return b.le;
  return lower + ((b.le - lower) * (rank - below)) / (b.count - below);
}
