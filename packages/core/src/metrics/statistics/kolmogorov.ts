/**
 * The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, as
 * scipy.stats.kstwo computes it: exact methods where they are affordable, the Pelz–Good
 * expansion elsewhere, picked by the same regions scipy uses so p-values agree.
 */
import { lnFactorial } from './special.ts';

/** P(D_n >= d). */
export function kolmogorovSf(d: number, n: number): number {
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 0.5) return 1;
  if (t <= 1) {
    // Ruben–Gambino: every path is inside once d <= 1/n, so the CDF has a closed form.
    return clip(1 - Math.exp(lnFactorial(n) - n * Math.log(n) + n * Math.log(2 * t - 1)));
  }
  if (t >= n - 1) return clip(2 * (1 - d) ** n);
  if (d >= 0.5) return clip(2 * smirnovSf(n, d));
  const nd2 = t * d;
  if (n <= 140) {
    if (nd2 <= 4) return clip(1 - durbinCdf(n, d));
    return clip(2 * smirnovSf(n, d));
  }
  if (nd2 >= 370) return 0;
  if (nd2 >= 2.2) return clip(2 * smirnovSf(n, d));
  if (nd2 >= 18) return 0;
  if (n <= 100000 && n * d ** 1.5 <= 1.4) return clip(1 - durbinCdf(n, d));
  return clip(1 - pelzGoodCdf(n, d));
}

const clip = (p: number) => Math.min(1, Math.max(0, p));

/**
 * One-sided P(D+_n >= d), exactly, by the Birnbaum–Tingey sum, in logs so that
 * neither the binomials nor the powers overflow for large n.
 */
export function smirnovSf(n: number, d: number): number {
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const last = Math.floor(n * (1 - d) + 1e-12);
  let lnBinom = 0; // ln C(n, 0)
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) lnBinom += Math.log(n - j + 1) - Math.log(j);
    const a = 1 - d - j / n;
    const b = d + j / n;
    if (a <= 0 && n - j > 0) continue;
    const lnTerm = lnBinom + (n - j > 0 ? (n - j) * Math.log(a) : 0) + (j - 1) * Math.log(b);
    sum += Math.exp(lnTerm);
  }
  return d * sum;
}

/**
 * Durbin's matrix method (Marsaglia, Tsang & Wang 2003): P(D_n < d) = n!/n^n (H^n)_{kk}.
 * Exact; costs O(m^3 log n) with m = 2k - 1, k = ceil(n d), so used only where k is small.
 */
export function durbinCdf(n: number, d: number): number {
  const k = Math.ceil(n * d);
  const h = k - n * d;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  const invFact = new Float64Array(m + 1);
  invFact[0] = 1;
  for (let i = 1; i <= m; i++) invFact[i] = invFact[i - 1]! / i;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) if (i - j + 1 >= 0) H[i * m + j] = invFact[i - j + 1]!;
  }
  for (let i = 0; i < m; i++) {
    H[i * m] = H[i * m]! - h ** (i + 1) * invFact[i + 1]!;
    H[(m - 1) * m + i] = H[(m - 1) * m + i]! - h ** (m - i) * invFact[m - i]!;
  }
  H[(m - 1) * m] = H[(m - 1) * m]! + Math.max(0, 2 * h - 1) ** m * invFact[m]!;

  // Square-and-multiply with a running power-of-two exponent so nothing overflows.
  let result: Float64Array | null = null;
  let resultExp = 0;
  let base: Float64Array = H;
  let baseExp = 0;
  for (let e = n; e > 0; e >>= 1) {
    if (e & 1) {
      if (result) {
        result = matmul(result, base, m);
        resultExp += baseExp;
      } else {
        result = base.slice();
        resultExp = baseExp;
      }
      resultExp += rescale(result!, m, k);
    }
    if (e > 1) {
      base = matmul(base, base, m);
      baseExp *= 2;
      baseExp += rescale(base, m, k);
    }
  }
  let p = result![(k - 1) * m + (k - 1)]!;
  // Multiply by n!/n^n, keeping the exponent apart again.
  let exp = resultExp;
  for (let i = 1; i <= n; i++) {
    p = (p * i) / n;
    if (p !== 0 && Math.abs(p) < 2 ** -128) {
      p *= 2 ** 128;
      exp -= 128;
    }
  }
  return p * 2 ** exp;
}

function rescale(a: Float64Array, m: number, k: number): number {
  const pivot = Math.abs(a[(k - 1) * m + (k - 1)]!);
  if (pivot > 2 ** 128) {
    for (let i = 0; i < a.length; i++) a[i] = a[i]! / 2 ** 128;
    return 128;
  }
  return 0;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const x = a[i * m + l]!;
      if (x === 0) continue;
      const rowB = l * m;
      const rowC = i * m;
      for (let j = 0; j < m; j++) c[rowC + j] = c[rowC + j]! + x * b[rowB + j]!;
    }
  }
  return c;
}

/**
 * Pelz & Good (1976): P(D_n <= x) ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^{3/2}, z = x√n,
 * each term rewritten through Jacobi theta identities so it converges fast for small z.
 */
export function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const pi2 = Math.PI ** 2;
  const logq = -pi2 / 8 / z2;
  if (logq < -708) return 0;
  const q = Math.exp(logq);
  const sqrt2pi = Math.sqrt(2 * Math.PI);
  const kMax = Math.ceil((16 * z) / Math.PI);

  const k = [0, 0, 0, 0];
  for (let i = kMax; i >= 1; i--) {
    const m = 2 * i - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * i);
    const terms = [
      1,
      -z2 + (pi2 / 4) * m2,
      6 * z6 + 2 * z4 + ((2 * z4 - 5 * z2) * pi2 * m2) / 4 + ((Math.PI ** 4 * (1 - 2 * z2)) / 16) * m4,
      -30 * z6 -
        90 * z ** 8 +
        ((pi2 * (135 * z4 - 96 * z6)) / 4) * m2 +
        ((Math.PI ** 4 * (-60 * z2 + 212 * z4)) / 16) * m4 +
        ((Math.PI ** 6 * (5 - 30 * z2)) / 64) * m6,
    ];
    for (let t = 0; t < 4; t++) k[t] = k[t]! * qp + terms[t]!;
  }
  const denominators = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let t = 0; t < 4; t++) k[t] = (k[t]! * q * sqrt2pi) / denominators[t]!;

  const q2 = Math.exp(-pi2 / 2 / z2);
  let extra2 = 0;
  let extra3 = 0;
  const s3z = Math.sqrt(3) * z;
  for (let i = kMax; i >= 1; i--) {
    const w = i * i * q2 ** (i * i);
    extra2 += w;
    extra3 += (s3z + Math.PI * i) * (s3z - Math.PI * i) * w;
  }
  k[2]! += (extra2 * pi2 * sqrt2pi) / (-36 * z2 * z);
  k[3]! += (extra3 * pi2 * sqrt2pi) / (216 * z6);
  return k[0]! + k[1]! / Math.sqrt(n) + k[2]! / n + k[3]! / n ** 1.5;
}
