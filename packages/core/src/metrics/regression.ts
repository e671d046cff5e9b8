/**
 * Regression metrics for the evaluate-model step, equal to scikit-learn 1.2.1's mean_absolute_error,
 * sqrt(mean_squared_error), r2_score and mean_absolute_percentage_error, with optional per-row weights.
 *
 * Same shape as the classification metrics: `prepareRegression` does the per-row work once, and the paired
 * bootstrap calls `compute` with a thousand weight vectors. Conventions:
 * - Arithmetic is in double precision; scikit-learn keeps float32 inputs in float32, so for those it
 *   differs by float32 rounding.
 * - A row of weight 0 is absent; total weight 0 makes every metric NaN.
 * - r2 is NaN with fewer than two rows of positive weight (scikit-learn warns and returns NaN under two
 *   samples), 1 when every prediction is exact, 0 when yTrue is constant but predictions are not
 *   (scikit-learn's force_finite default).
 */

export type Values = Float32Array | Float64Array;

export const REGRESSION_METRICS = ['mae', 'rmse', 'r2', 'mape'] as const;

export type RegressionScores = {
  mae: number;
  rmse: number;
  r2: number;
  mape: number;
};

export interface PreparedRegression {
  readonly rows: number;
  /** Metrics under per-row weights (non-negative, length n); every row once when absent. */
  compute(weights?: Float64Array): RegressionScores;
}

// sklearn's mape divides by max(|y|, eps): a zero target gives a huge but finite percentage error.
const EPS = 2 ** -52;

export function regressionMetrics(yTrue: Values, yPred: Values, weights?: Float64Array): RegressionScores {
  return prepareRegression(yTrue, yPred).compute(weights);
}

export function prepareRegression(yTrue: Values, yPred: Values): PreparedRegression {
  const n = yTrue.length;
  if (yPred.length !== n) throw new RangeError(`${yPred.length} predictions for ${n} rows`);
  const absError = new Float64Array(n);
  const pctError = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    absError[i] = Math.abs(yPred[i]! - yTrue[i]!);
    pctError[i] = absError[i]! / Math.max(Math.abs(yTrue[i]!), EPS);
  }
  return {
    rows: n,
    compute(weights) {
      if (weights && weights.length !== n) throw new RangeError(`${weights.length} weights for ${n} rows`);
      const sums = errorSums(absError, pctError, weights);
      return {
        mae: sums.abs / sums.total,
        rmse: Math.sqrt(sums.squared / sums.total),
        r2: r2(yTrue, sums.squared, sums.rows, weights),
        mape: sums.pct / sums.total,
      };
    },
  };
}

function errorSums(absError: Float64Array, pctError: Float64Array, weights?: Float64Array) {
  const sums = { total: 0, abs: 0, squared: 0, pct: 0, rows: 0 };
  for (let i = 0; i < absError.length; i++) {
    const w = weights ? weights[i]! : 1;
    if (w === 0) continue;
    const e = absError[i]!;
    sums.total += w;
    sums.abs += w * e;
    sums.squared += w * e * e;
    sums.pct += w * pctError[i]!;
    sums.rows++;
  }
  return sums;
}

function r2(yTrue: Values, residual: number, rows: number, weights?: Float64Array): number {
  if (rows < 2) return Number.NaN;
  if (residual === 0) return 1;
  const spread = weightedSpread(yTrue, weights);
  return spread === 0 ? 0 : 1 - residual / spread;
}

/**
 * Σ w·(y − ȳ)², the mean taken relative to the first counted y: a constant target then gives exactly 0
 * (as scikit-learn needs to see to return 0), and large offsets do not cancel.
 */
function weightedSpread(y: Values, weights?: Float64Array): number {
  let anchor = Number.NaN;
  let total = 0;
  let shifted = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights ? weights[i]! : 1;
    if (w === 0) continue;
    if (Number.isNaN(anchor)) anchor = y[i]!;
    total += w;
    shifted += w * (y[i]! - anchor);
  }
  const mean = shifted / total;
  let spread = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights ? weights[i]! : 1;
    if (w !== 0) spread += w * (y[i]! - anchor - mean) ** 2;
  }
  return spread;
}
