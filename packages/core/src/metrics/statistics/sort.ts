/**
 * Ascending sort of a Float64Array in O(n): an LSD radix sort over each value's bit pattern. It
 * gives the order `Float64Array.prototype.sort` gives (−0 before +0, NaN last) about three times
 * as fast on a million values, which is what the exact quantiles and distinct counts of a
 * column's profile cost.
 */
import { LITTLE_ENDIAN } from '../../endian.ts';

/** Below this many values the native sort wins: the radix passes' fixed cost is not paid back. */
const RADIX_FROM = 1 << 12;
const BITS = 16;
const BUCKETS = 1 << BITS;
const MASK = BUCKETS - 1;

/**
 * The keys, their spares and the histograms of the last sort, kept for the next: sorting is
 * synchronous, so one set serves every caller, and fresh buffers per column (16 bytes a value)
 * cost page faults and collections on the order of the sort itself. Grown, never shrunk, so a
 * process holds what its largest sort needed.
 */
let scratch = new Uint32Array(0);

function scratchFor(n: number): Uint32Array {
  const size = 4 * n + 4 * BUCKETS;
  if (scratch.length < size) scratch = new Uint32Array(size);
  return scratch;
}

/** Sorts `values` in place and returns it. */
export function sortAscending(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_FROM) return values.sort();
  const bits = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  const [lowAt, highAt] = LITTLE_ENDIAN ? [0, 1] : [1, 0];
  const keys = scratchFor(n);
  let low = keys.subarray(0, n);
  let high = keys.subarray(n, 2 * n);
  // One histogram per 16-bit digit (two per word), counted while the keys are made.
  const counts = keys.subarray(4 * n, 4 * n + 4 * BUCKETS).fill(0);
  for (let i = 0; i < n; i++) {
    let lo = bits[2 * i + lowAt]!;
    let hi = bits[2 * i + highAt]!;
    const magnitude = hi & 0x7fffffff;
    if (magnitude > 0x7ff00000 || (magnitude === 0x7ff00000 && lo !== 0)) {
      // Every NaN, whatever its sign and payload, above +∞.
      hi = 0xffffffff;
      lo = 0xffffffff;
    } else if (hi & 0x80000000) {
      // Negative: a larger magnitude is a smaller value, so the pattern is inverted (−0 lands just below +0).
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    low[i] = lo;
    high[i] = hi;
    counts[lo & MASK]!++;
    counts[BUCKETS + (lo >>> BITS)]!++;
    counts[2 * BUCKETS + (hi & MASK)]!++;
    counts[3 * BUCKETS + (hi >>> BITS)]!++;
  }
  let spareLow = keys.subarray(2 * n, 3 * n);
  let spareHigh = keys.subarray(3 * n, 4 * n);
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * BUCKETS;
    const digits = pass < 2 ? low : high;
    const shift = pass % 2 === 0 ? 0 : BITS;
    // A digit every key shares moves nothing: skip its pass.
    if (counts[base + ((digits[0]! >>> shift) & MASK)] === n) continue;
    let sum = 0;
    for (let d = 0; d < BUCKETS; d++) {
      const c = counts[base + d]!;
      counts[base + d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = counts[base + ((digits[i]! >>> shift) & MASK)]!++;
      spareLow[at] = low[i]!;
      spareHigh[at] = high[i]!;
    }
    [low, spareLow] = [spareLow, low];
    [high, spareHigh] = [spareHigh, high];
  }
  for (let i = 0; i < n; i++) {
    const hi = high[i]!;
    if (hi & 0x80000000) {
      bits[2 * i + highAt] = hi & 0x7fffffff;
      bits[2 * i + lowAt] = low[i]!;
    } else {
      bits[2 * i + highAt] = ~hi;
      bits[2 * i + lowAt] = ~low[i]!;
    }
  }
  return values;
}
