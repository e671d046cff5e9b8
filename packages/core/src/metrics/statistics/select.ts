/**
 * Order statistics of an unsorted sample by selection: the values that would sit at chosen
 * ranks of the ascending order (NaN last, as sortAscending orders them), without sorting. A
 * reference column under PSI or Jensen–Shannon needs only its bin edges, a handful of ranks, and
 * finding them costs a few passes over the values where a sort costs a full one plus its buffers.
 */

/** Below this many values a range is sorted outright: the partitioning no longer pays. */
const SORT_BELOW = 32;

/**
 * Reorders `values` in place so that every rank in `ranks` holds the value the ascending order
 * puts there (NaN last), and returns `values`. Other positions end in no particular order.
 */
export function selectRanks(values: Float64Array, ranks: readonly number[]): Float64Array {
  const n = values.length;
  const finite = nanToEnd(values);
  const wanted = [...new Set(ranks)].filter((r) => r >= 0 && r < finite).sort((a, b) => a - b);
  if (wanted.length) select(values, 0, finite - 1, wanted, 0, wanted.length, 2 * Math.ceil(Math.log2(n + 1)));
  return values;
}

/** Moves every NaN to the end; returns how many values are not NaN. */
function nanToEnd(values: Float64Array): number {
  let end = values.length;
  let i = 0;
  while (i < end) {
    if (Number.isNaN(values[i]!)) {
      end--;
      values[i] = values[end]!;
      values[end] = Number.NaN;
    } else i++;
  }
  return end;
}

/**
 * Places ranks wanted[from..to) within values[lo..hi]. Quickselect on a median-of-three pivot
 * with a three-way partition (ties are common in rounded data); past `depth` levels the range
 * is sorted instead, so adversarial orders stay O(n log n).
 */
function select(
  values: Float64Array,
  lo: number,
  hi: number,
  wanted: number[],
  from: number,
  to: number,
  depth: number,
): void {
  while (from < to) {
    if (hi - lo < SORT_BELOW || depth-- <= 0) {
      // A typed array's sort orders −0 before +0, as sortAscending does; no NaN is left here.
      values.subarray(lo, hi + 1).sort();
      return;
    }
    const pivot = medianOfThree(values[lo]!, values[(lo + hi) >>> 1]!, values[hi]!);
    // Three-way partition: [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const x = values[i]!;
      if (x < pivot) {
        values[i++] = values[lt]!;
        values[lt++] = x;
      } else if (x > pivot) {
        values[i] = values[gt]!;
        values[gt--] = x;
      } else i++;
    }
    // ±0 compare equal: the band of equal values keeps −0 before +0, as the sorted order does.
    if (pivot === 0) values.subarray(lt, gt + 1).sort();
    // Ranks below lt recurse left, ranks above gt continue right; those in [lt, gt] are placed.
    let mid = from;
    while (mid < to && wanted[mid]! < lt) mid++;
    let right = mid;
    while (right < to && wanted[right]! <= gt) right++;
    if (mid > from) select(values, lo, lt - 1, wanted, from, mid, depth);
    from = right;
    lo = gt + 1;
  }
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}
