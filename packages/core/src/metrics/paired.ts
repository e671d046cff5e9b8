/**
 * Paired comparison of two models scored on the same rows: McNemar's exact test on who got which row
 * right, and a seeded paired bootstrap of per-metric deltas (B − A) with percentile intervals.
 */
import { quantileSorted } from './statistics/describe.ts';
import { lgamma } from './statistics/special.ts';

/**
 * Exact two-sided McNemar p-value: b rows only model A got right, c rows only model B got right; under
 * the null each discordant row is a fair coin, so p = min(1, 2·P(X ≤ min(b, c))) with X ~ Binom(b + c, ½).
 * Equals scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue, whose likelihood-ordered two-sided sum is
 * this doubled tail when p = ½ by symmetry; 1 when b + c = 0.
 */
export function mcnemarExact(b: number, c: number): number {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(`McNemar counts must be non-negative integers, got ${b} and ${c}`);
  }
  const n = b + c;
  const k = Math.min(b, c);
  // At the middle (or one below it for odd n) the doubled tail reaches 1; this also covers n = 0.
  if (2 * k + 1 >= n) return 1;
  return Math.min(1, 2 * binomialCdfHalf(k, n));
}

/**
 * P(X ≤ k) for X ~ Binom(n, ½) and k < n/2: the pmf at k, then down the recurrence
 * pmf(j − 1) = pmf(j)·j/(n − j + 1), stopping once terms no longer change the sum. Terms shrink at least
 * geometrically away from the middle, so this takes O(√n) steps at worst, and each step adds one rounding.
 */
function binomialCdfHalf(k: number, n: number): number {
  let term = binomialPmfHalf(k, n);
  let sum = term;
  for (let j = k; j > 0 && term > sum * 1e-17; j--) {
    term *= j / (n - j + 1);
    sum += term;
  }
  return sum;
}

/**
 * Loader's saddle-point form of the binomial pmf (as R's dbinom): the log-gammas of n, k and n − k cancel
 * to many digits for large n, so it works with their Stirling remainders and the deviance bd0 instead.
 */
function binomialPmfHalf(k: number, n: number): number {
  if (k === 0 || k === n) return 2 ** -n;
  const mean = n / 2;
  const lc = stirlingError(n) - stirlingError(k) - stirlingError(n - k) - bd0(k, mean) - bd0(n - k, mean);
  const lf = Math.log(2 * Math.PI) + Math.log(k) + Math.log1p(-k / n);
  return Math.exp(lc - 0.5 * lf);
}

/** log(n!) − log(√(2πn)·(n/e)^n), for integer n ≥ 1. */
function stirlingError(n: number): number {
  if (n <= 15) return lgamma(n + 1) - (n + 0.5) * Math.log(n) + n - 0.5 * Math.log(2 * Math.PI);
  const nn = n * n;
  const [s0, s1, s2, s3, s4] = [1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188];
  if (n > 500) return (s0 - s1 / nn) / n;
  if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
  if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/** x·log(x/m) + m − x, by its series where x is near m and the closed form would cancel. */
function bd0(x: number, m: number): number {
  if (Math.abs(x - m) >= 0.1 * (x + m)) return x * Math.log(x / m) + m - x;
  let v = (x - m) / (x + m);
  let s = (x - m) * v;
  let ej = 2 * x * v;
  v *= v;
  for (let j = 1; j < 1000; j++) {
    ej *= v;
    const next = s + ej / (2 * j + 1);
    if (next === s) break;
    s = next;
  }
  return s;
}

/** Per-metric deltas (B − A), e.g. `{ accuracy: 0.012, f1_macro: -0.003 }`. */
export type Deltas = Record<string, number>;

/**
 * Deltas under row weights: weights[i] is how many times the i-th row of the prepared rows was drawn
 * (the array is reused between calls: read it, don't keep it); undefined means every row once.
 */
export type DeltaStatistic = (weights?: Float64Array) => Deltas;

export interface PairedBootstrapOptions {
  /** n, the number of rows both models were scored on. */
  rows: number;
  /**
   * Prepares the delta statistic over `subset`, ascending row indexes into the n rows (select them with
   * pickRows), or over all n rows when it is undefined. Called once or twice, so sorting belongs here.
   */
  prepare: (subset?: Int32Array) => DeltaStatistic;
  /** B, default 1000. */
  resamples?: number;
  /** Integer seed (its low 32 bits are used), default 0. */
  seed?: number;
  /** Interval coverage, default 0.95. */
  confidence?: number;
  /** Above this many rows, bootstrap a subset of this size and rescale (see below); default 20000. */
  maxRows?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DeltaInterval {
  /** The full-sample delta. */
  delta: number;
  low: number;
  high: number;
  /** Resamples where this delta was a number; NaN resamples (e.g. a class left out) are ignored. */
  resamples: number;
}

export interface PairedBootstrapResult {
  intervals: Record<string, DeltaInterval>;
  /** Rows each resample drew: n, or maxRows when n is larger. */
  rowsPerResample: number;
  /** √(m/n), the factor on resampled deviations; 1 for the plain bootstrap. */
  scale: number;
}

/**
 * Percentile bootstrap of paired deltas: each resample draws the rows with replacement, as a vector of
 * draw counts, and evaluates both models on the same draw; the interval is numpy.quantile's (linear) at
 * (1 − confidence)/2 and its complement, over the resamples where the delta is not NaN.
 *
 * Above maxRows rows every resample would cost O(n) per metric, so the bootstrap draws once, without
 * replacement, a subset S of m = maxRows rows, resamples m rows with replacement from S, and reports
 * θ̂ₙ + √(m/n)·(q − θ̂_S), where q are the percentiles of the resampled deltas, θ̂_S the delta over S and θ̂ₙ
 * the delta over all rows. For a √n-consistent statistic (a smooth function of weighted means, as each
 * metric here is, or the Mann–Whitney AUC) √m·(θ* − θ̂_S) has the same normal limit as √n·(θ̂ₙ − θ): this is
 * the m-out-of-n bootstrap (Bickel, Götze & van Zwet 1997) with its usual √(m/n) rescaling, centred on
 * θ̂_S because that is where resamples of S centre. It costs O(m) per resample; the subset adds sampling
 * noise of about 1/√(2m) relative to the interval's width.
 */
export function pairedBootstrap(options: PairedBootstrapOptions): PairedBootstrapResult {
  const { rows: n, prepare, resamples = 1000, seed = 0, confidence = 0.95, maxRows = 20000 } = options;
  const rows = bootstrapRows(n, { resamples, confidence, maxRows, seed });
  const fullStatistic = prepare();
  const full = fullStatistic();
  const statistic = rows.subset ? prepare(rows.subset) : fullStatistic;
  const center = rows.subset ? statistic() : full;
  const draws = resampleDeltas(statistic, Object.keys(full), rows, resamples, options.onProgress);
  return bootstrapIntervals(n, full, center, draws, rows, confidence);
}

/** The rows a bootstrap resamples, and where its generator stands after choosing them. */
export interface BootstrapRows {
  /** The subset of rows (ascending) when n > maxRows; undefined when every row is resampled. */
  subset: Int32Array | undefined;
  /** How many rows each resample draws: the subset's size, or n. */
  m: number;
  /** The generator's state once the subset is drawn; the resamples continue from it. */
  state: Int32Array;
}

/**
 * pairedBootstrap's first step, apart so that the resamples (resampleDeltas) can run elsewhere, in a
 * worker, while the full-sample statistic is prepared: the same seed gives the same rows and the same
 * draws either way.
 */
export function bootstrapRows(
  n: number,
  options: { resamples: number; confidence: number; maxRows: number; seed: number },
): BootstrapRows {
  const { resamples, confidence, maxRows, seed } = options;
  checkOptions(n, resamples, confidence, maxRows);
  const state = xoshiroState(seed);
  const subset = n > maxRows ? drawSubset(n, maxRows, () => xoshiroNext(state)) : undefined;
  return { subset, m: subset?.length ?? n, state };
}

/** Percentile intervals, rescaled above maxRows (see pairedBootstrap), from the resampled deltas. */
export function bootstrapIntervals(
  n: number,
  full: Deltas,
  center: Deltas,
  draws: Map<string, number[]>,
  rows: BootstrapRows,
  confidence = 0.95,
): PairedBootstrapResult {
  const { subset } = rows;
  const scale = subset ? Math.sqrt(subset.length / n) : 1;
  const alpha = (1 - confidence) / 2;
  const intervals: Record<string, DeltaInterval> = {};
  for (const [name, values] of draws) {
    const sorted = Float64Array.from(values).sort();
    // For the plain bootstrap scale is 1 and center is full, so this is the percentile itself.
    const shift = (q: number) => (subset ? full[name]! + scale * (q - center[name]!) : q);
    intervals[name] = {
      delta: full[name]!,
      low: shift(quantileSorted(sorted, alpha)),
      high: shift(quantileSorted(sorted, 1 - alpha)),
      resamples: sorted.length,
    };
  }
  return { intervals, rowsPerResample: rows.m, scale };
}

function checkOptions(n: number, resamples: number, confidence: number, maxRows: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`rows must be a positive integer, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be ≥ 1`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1)`);
  if (!Number.isInteger(maxRows) || maxRows < 2) throw new RangeError(`maxRows must be an integer ≥ 2`);
}

/**
 * The deltas of `resamples` resamples of the m rows, each a vector of draw counts, the generator going
 * on from `rows.state` (which it advances): per name, the deltas that are numbers, in resample order.
 */
export function resampleDeltas(
  statistic: DeltaStatistic,
  names: string[],
  rows: BootstrapRows,
  resamples: number,
  onProgress?: (done: number, total: number) => void,
): Map<string, number[]> {
  const draws = new Map(names.map((name) => [name, [] as number[]]));
  const counts = new Float64Array(rows.m);
  for (let b = 0; b < resamples; b++) {
    drawCounts(counts, rows.state);
    const deltas = statistic(counts);
    for (const [name, values] of draws) {
      const v = deltas[name];
      if (v !== undefined && !Number.isNaN(v)) values.push(v);
    }
    onProgress?.(b + 1, resamples);
  }
  return draws;
}

/**
 * m distinct rows of n, ascending: a partial Fisher–Yates shuffle of 0..n−1, of which only the m
 * swapped places are kept (in a map; every other place still holds its own index), so a million
 * rows cost m steps, not an array of n.
 */
function drawSubset(n: number, m: number, random: () => number): Int32Array {
  const moved = new Map<number, number>();
  const at = (i: number) => moved.get(i) ?? i;
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (n - i));
    out[i] = at(j);
    moved.set(j, at(i));
  }
  return out.sort();
}

/** The rows of `values` (`width` values per row, row-major) listed in `subset`; `values` when undefined. */
export function pickRows<T extends Int32Array | Float32Array | Float64Array>(
  values: T,
  subset: Int32Array | undefined,
  width = 1,
): T {
  if (!subset) return values;
  const out = values.slice(0, subset.length * width) as T; // same array type, overwritten below
  for (let r = 0; r < subset.length; r++) {
    const from = subset[r]! * width;
    for (let j = 0; j < width; j++) out[r * width + j] = values[from + j]!;
  }
  return out;
}

/**
 * Uniform [0, 1) numbers from xoshiro128** (Blackman & Vigna), 2^128 − 1 period, its four state words
 * filled from the seed by a splitmix32-style hash so that nearby seeds give unrelated streams. Not numpy's
 * generator: intervals reproduce within modelship, not against a Python bootstrap. The state is an array,
 * so that a stream stopped in one place goes on, the same, in another (a worker).
 */
function xoshiroState(seed: number): Int32Array {
  let h = seed >>> 0;
  const word = () => {
    h = (h + 0x9e3779b9) >>> 0;
    let z = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return z ^ (z >>> 16);
  };
  return Int32Array.of(word(), word(), word(), word());
}

/** The next number of the stream at `s`, which it advances. */
function xoshiroNext(s: Int32Array): number {
  let [a, b, c, d] = [s[0]!, s[1]!, s[2]!, s[3]!];
  const x = Math.imul(b, 5);
  const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
  const t = b << 9;
  c ^= a;
  d ^= b;
  b ^= c;
  a ^= d;
  c ^= t;
  d = (d << 11) | (d >>> 21);
  s.set([a, b, c, d]);
  return result / 4294967296;
}

/**
 * The rows with the generator moved on past `skip` resamples' draws (the state is a copy): from it,
 * resampleDeltas makes resamples skip, skip + 1, …, the same as one run through all of them would.
 */
export function skipResamples(rows: BootstrapRows, skip: number): BootstrapRows {
  const state = rows.state.slice();
  const counts = new Float64Array(rows.m);
  for (let b = 0; b < skip; b++) drawCounts(counts, state);
  return { ...rows, state };
}

/**
 * One resample's draw counts: as many draws with replacement as rows. xoshiroNext written out over
 * locals: this runs for every row of every resample. The same stream, number for number.
 */
function drawCounts(counts: Float64Array, s: Int32Array): void {
  const m = counts.length;
  counts.fill(0);
  let [a, b, c, d] = [s[0]!, s[1]!, s[2]!, s[3]!];
  for (let j = 0; j < m; j++) {
    const x = Math.imul(b, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    counts[Math.floor((result / 4294967296) * m)]!++;
  }
  s.set([a, b, c, d]);
}
