/**
 * The Hodges–Lehmann estimate of the location shift between two samples, x − y: the median of
 * all m·n pairwise differences xᵢ − yⱼ (the mean of the two middle ones when m·n is even, as
 * numpy's median), with the distribution-free (Moses) confidence interval [D₍C₎, D₍mn+1−C₎]
 * (1-based order statistics of the differences), where C is the integer nearest to
 * mn/2 − z₁₋α/₂ · σ_U, σ_U is U's standard deviation with the tie correction mannwhitneyu uses,
 * and C is clamped to [1, ⌈mn/2⌉] (Hollander & Wolfe's large-sample rule).
 *
 * The differences are never materialised: in x ascending and y descending, xᵢ − yⱼ is a matrix
 * sorted along rows and columns, and each order statistic is found by selection on it (Monahan's
 * algorithm, with Floyd–Rivest's sampled pivots): two pivots from a random sample of the candidates
 * left bracket the rank sought, one two-pointer pass per pivot counts the entries below it in
 * O(m + n), and each row's candidate columns shrink to the bracket. A handful of passes take
 * 10⁸ candidates below a few thousand, which are then sorted; 10,000 × 10,000 costs milliseconds
 * and O(m) memory instead of sorting 10⁸ numbers. The result is exact, and the same whatever the
 * pivots, so the seeded generator only keeps runs reproducible.
 */

import { mulberry32 } from '../random.ts';
import { rankSums, sortedSample } from './mann-whitney.ts';
import { normalQuantile } from './normal.ts';

export interface HodgesLehmann {
  estimate: number;
  low: number;
  high: number;
}

export function hodgesLehmann(x: readonly number[], y: readonly number[], confidence: number): HodgesLehmann {
  return hodgesLehmannSorted(
    finite(sortedSample(x, 'x'), 'x'),
    finite(sortedSample(y, 'y'), 'y'),
    confidence,
  );
}

/** ∞ − ∞ has no order, so a difference matrix takes finite values only. */
function finite(sorted: Float64Array, name: string): Float64Array {
  if (!Number.isFinite(sorted[0]) || !Number.isFinite(sorted[sorted.length - 1])) {
    throw new RangeError(`hodgesLehmann: sample ${name} holds an infinite value`);
  }
  return sorted;
}

/** The same on samples already sorted ascending; the tie term Σ(t³ − t) when the caller has it. */
export function hodgesLehmannSorted(
  xs: Float64Array,
  ys: Float64Array,
  confidence: number,
  tieTerm = rankSums(xs, ys).tieTerm,
): HodgesLehmann {
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`hodgesLehmann: confidence ${confidence} is not in (0, 1)`);
  const matrix = new DifferenceMatrix(xs, ys);
  const total = xs.length * ys.length;
  const half = Math.floor((total - 1) / 2);
  const c = mosesRank(xs.length, ys.length, tieTerm, confidence);
  // The interval's ends and the median are close in rank: one band around them all starts each search.
  const band = matrix.band(c - 1, total - c);
  const [a, b] = matrix.selectPair(half, band);
  const estimate = total % 2 === 1 ? a : (a + b) / 2;
  return { estimate, low: matrix.selectPair(c - 1, band)[0], high: matrix.selectPair(total - c, band)[0] };
}

/** C of the Moses interval: the 1-based rank of its low end, at least 1 (the whole range). */
export function mosesRank(m: number, n: number, tieTerm: number, confidence: number): number {
  const N = m + n;
  // All values tied: the variance is 0, or a rounding below it that must not become NaN.
  const sigma = Math.sqrt(Math.max(0, ((m * n) / 12) * (N + 1 - tieTerm / (N * (N - 1)))));
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const c = Math.floor((m * n) / 2 - z * sigma + 0.5);
  return Math.min(Math.max(c, 1), Math.ceil((m * n) / 2));
}

/** Below this many candidates left, they are copied out and sorted. */
const SMALL = 2048;
/** Floyd–Rivest's sample: pivots ±3 binomial deviations around the target's place in it. */
const SAMPLE = 1024;

interface Window {
  /** Per row, the first candidate column: every entry left of it is at most `floor`. */
  lo: Int32Array;
  /** Per row, one past the last candidate column: every entry from it on is at least `ceiling`. */
  hi: Int32Array;
  /** The candidates lie strictly between the two pivots that cut the window last. */
  floor: number;
  ceiling: number;
}

/** The m × n matrix xᵢ − yⱼ, x ascending and y descending, sorted along rows and columns. */
class DifferenceMatrix {
  private readonly xs: Float64Array;
  private readonly yd: Float64Array;
  /** Per row, the entries below (or at most) the last pivot counted. */
  private readonly cutAt: Int32Array;
  private cutAtStrict = false;
  /** Candidates left up to each row's end: where a random candidate lies. */
  private readonly prefix: Float64Array;
  private readonly sample = new Float64Array(SAMPLE);
  private readonly random = mulberry32(0x5eed).uniform;

  constructor(xs: Float64Array, ys: Float64Array) {
    this.xs = xs;
    this.yd = ys.slice().reverse();
    this.cutAt = new Int32Array(xs.length);
    this.prefix = new Float64Array(xs.length);
  }

  private at(i: number, j: number): number {
    return this.xs[i]! - this.yd[j]!;
  }

  /** One round of cuts keeping every candidate that may rank from kLow to kHigh. */
  band(kLow: number, kHigh: number): Window {
    const w: Window = {
      lo: new Int32Array(this.xs.length),
      hi: new Int32Array(this.xs.length).fill(this.yd.length),
      floor: Number.NEGATIVE_INFINITY,
      ceiling: Number.POSITIVE_INFINITY,
    };
    const { active, skipped } = this.tally(w);
    if (active > SMALL) this.narrow(w, kLow, kHigh, this.bracket(w, kLow - skipped, kHigh - skipped, active));
    return w;
  }

  /** The k-th and (k+1)-th smallest differences, 0-based (the second is NaN past the end). */
  selectPair(k: number, start: Window): [number, number] {
    const w = { ...start, lo: start.lo.slice(), hi: start.hi.slice() };
    for (;;) {
      const { active, skipped } = this.tally(w);
      if (active <= SMALL) return this.settle(w, k, this.candidates(w, active)[k - skipped]!);
      const found = this.narrow(w, k, k, this.bracket(w, k - skipped, k - skipped, active));
      if (found) return found;
    }
  }

  /**
   * Cuts the window at a low and a high pivot: entries at most the low one go when the ranks
   * sought lie above them, entries from the high one on when the ranks lie below. The count that
   * usually decides comes first, so most pivots cost one pass. For a single rank that falls among
   * the entries equal to a pivot, the pivot is the answer.
   */
  private narrow(
    w: Window,
    kLow: number,
    kHigh: number,
    pivots: [number, number],
  ): [number, number] | undefined {
    for (const [pivot, high] of [
      [pivots[0], false],
      [pivots[1], true],
    ] as const) {
      // A pivot the first cut already passed (equal to it, or beyond it) has nothing left to cut.
      if (!(pivot > w.floor && pivot < w.ceiling)) continue;
      const first = this.count(w, pivot, high);
      if (high ? kHigh < first : kLow >= first) {
        this.cut(w, pivot, !high);
        continue;
      }
      const second = this.count(w, pivot, !high);
      const [below, atMost] = high ? [first, second] : [second, first];
      if (kHigh < below) this.cut(w, pivot, false);
      else if (kLow >= atMost) this.cut(w, pivot, true);
      else if (kLow === kHigh) return this.settle(w, kLow, pivot, atMost);
    }
    return undefined;
  }

  /** Moves each row's left edge (or right edge) to the last count's cut at the pivot. */
  private cut(w: Window, pivot: number, left: boolean): void {
    if (left) {
      w.lo.set(this.cutAt);
      w.floor = pivot;
    } else {
      w.hi.set(this.cutAt);
      w.ceiling = pivot;
    }
  }

  /** Candidates left in all, those cut from the left, and the prefix sums pick() bisects. */
  private tally(w: Window): { active: number; skipped: number } {
    let active = 0;
    let skipped = 0;
    for (let i = 0; i < w.lo.length; i++) {
      skipped += w.lo[i]!;
      active += w.hi[i]! - w.lo[i]!;
      this.prefix[i] = active;
    }
    return { active, skipped };
  }

  /** Two pivots from a sorted random sample of the window that very likely enclose ranks r1..r2 in it. */
  private bracket(w: Window, r1: number, r2: number, active: number): [number, number] {
    const { sample } = this;
    for (let s = 0; s < SAMPLE; s++) sample[s] = this.pick(w, Math.floor(this.random() * active));
    sample.sort();
    const place = (r: number, side: number) => {
      const f = (r + 0.5) / active;
      const q = Math.round(f * SAMPLE + side * (3 * Math.sqrt(SAMPLE * f * (1 - f)) + 1));
      return sample[Math.min(SAMPLE - 1, Math.max(0, q))]!;
    };
    return [place(r1, -1), place(r2, 1)];
  }

  /** The candidate of rank r in row order, found by bisecting tally()'s prefix sums. */
  private pick(w: Window, r: number): number {
    let a = 0;
    let b = this.prefix.length - 1;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (this.prefix[mid]! > r) b = mid;
      else a = mid + 1;
    }
    const before = a > 0 ? this.prefix[a - 1]! : 0;
    return this.at(a, w.lo[a]! + (r - before));
  }

  /** The candidates left, sorted. */
  private candidates(w: Window, active: number): Float64Array {
    const out = new Float64Array(active);
    let o = 0;
    for (let i = 0; i < w.lo.length; i++) for (let j = w.lo[i]!; j < w.hi[i]!; j++) out[o++] = this.at(i, j);
    return out.sort();
  }

  /** The answer v and the next difference: v again while ties last, else the smallest above v. */
  private settle(w: Window, k: number, v: number, atMost?: number): [number, number] {
    // cutAt must hold the entries at most v per row, whichever path came here.
    if (atMost === undefined || this.cutAtStrict) atMost = this.count(w, v, false);
    if (k + 1 < atMost) return [v, v];
    let next = Number.NaN;
    for (let i = 0; i < this.xs.length; i++) {
      const j = this.cutAt[i]!;
      if (j < this.yd.length && !(this.at(i, j) >= next)) next = this.at(i, j);
    }
    return [v, next];
  }

  /**
   * Entries below the pivot (strict) or at most it, per row into cutAt and in all. A pivot strictly
   * inside the window cuts each row between lo and hi, and the cut moves left as the row index
   * grows, so one pointer walks the candidates once: O(m + candidates), never more than O(m + n).
   */
  private count(w: Window, pivot: number, strict: boolean): number {
    const { xs, yd, cutAt } = this;
    const { lo, hi } = w;
    let total = 0;
    let j = yd.length;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const floor = lo[i]!;
      if (hi[i]! < j) j = hi[i]!;
      if (strict) while (j > floor && x - yd[j - 1]! >= pivot) j--;
      else while (j > floor && x - yd[j - 1]! > pivot) j--;
      cutAt[i] = j;
      total += j;
    }
    this.cutAtStrict = strict;
    return total;
  }
}
