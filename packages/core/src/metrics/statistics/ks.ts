/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, matching scipy.stats.ks_2samp with its
 * default method: the exact null distribution while both samples have at most 10,000 values,
 * Smirnov's asymptotic distribution (through kstwo) beyond.
 */
import { walkEcdfs } from './distances.ts';
import { kolmogorovSf } from './kolmogorov.ts';
import { gcd, roundHalfEven } from './special.ts';

export interface TestResult {
  statistic: number;
  pValue: number;
  method?: string;
}

const MAX_EXACT = 10000;

/** sup |F_a - F_b| over the pooled sample; both inputs sorted ascending. */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  walkEcdfs(a, b, (_x, _next, fa, fb) => {
    d = Math.max(d, Math.abs(fa - fb));
  });
  return d;
}

export function ks2Samp(a: ArrayLike<number>, b: ArrayLike<number>): TestResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new Error('ks2Samp needs two non-empty samples');
  let d = ksStatistic(a, b);
  if (Math.max(n1, n2) <= MAX_EXACT) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' };
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic: d, pValue: p, method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = roundHalfEven((m * n) / (m + n));
  return { statistic: d, pValue: Math.min(1, Math.max(0, kolmogorovSf(d, en))), method: 'asymp' };
}

/**
 * Equal sizes: P(D >= h/n) = 2 Σ_k (-1)^{k+1} C(2n, n-kh) / C(2n, n), each ratio built as a
 * running product and nested Horner-style so the alternating sum does not cancel.
 */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * Unequal sizes: the pooled ordering is a uniformly random lattice path from (0,0) to (m,n);
 * D >= h/lcm exactly when the path touches |i·n/g − j·m/g| >= h. Walk the path's
 * probabilities (a step in i has probability (m−i)/(m−i+n−j)) over the band where it is
 * still inside; what never leaves is 1 − p. Values stay in [0, 1], so nothing overflows.
 */
function probOutsideBand(m: number, n: number, g: number, h: number): number {
  const mg = m / g;
  const ng = n / g;
  const inside = (i: number, j: number) => Math.abs(i * ng - j * mg) < h;
  let prev = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  // Row i = 0: only j steps.
  prev[0] = 1;
  for (let j = 1; j <= n; j++) {
    prev[j] = inside(0, j) ? (prev[j - 1]! * (n - j + 1)) / (m + n - j + 1) : 0;
  }
  for (let i = 1; i <= m; i++) {
    next.fill(0);
    // Only the band |i·ng − j·mg| < h can be non-zero.
    const lo = Math.max(0, Math.floor((i * ng - h) / mg));
    const hi = Math.min(n, Math.ceil((i * ng + h) / mg));
    for (let j = lo; j <= hi; j++) {
      if (!inside(i, j)) continue;
      const remaining = m - (i - 1) + n - j;
      let p = prev[j]! * ((m - i + 1) / remaining);
      if (j > 0) p += next[j - 1]! * ((n - j + 1) / (m - i + n - j + 1));
      next[j] = p;
    }
    [prev, next] = [next, prev];
  }
  return 1 - prev[n]!;
}
