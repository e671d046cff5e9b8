/**
 * ★ prediction-shift: has the canary's mix of predicted classes moved away from the stable's?
 * Counts per predicted class over the window (increases of modelship_predictions_total{class}) go
 * into a 2 × k chi-square test of homogeneity, computed as scipy.stats.chi2_contingency does by
 * default — expected counts from the margins, Yates' continuity correction only when there are two
 * classes (one degree of freedom) — and the Jensen–Shannon distance between the two class shares
 * (scipy.spatial.distance.jensenshannon, base 2, so it lies in [0, 1]).
 *
 * Classes absent on one side count 0 there; classes with no prediction on either side are dropped
 * (they carry no information, and scipy refuses a zero expected count). When a side predicted
 * nothing at all, or only one class remains, there is nothing to compare: the statistic is 0 with
 * 0 degrees of freedom, the p-value 1 and the distance 0 — never NaN. Whether an empty window
 * fails is the analysis's no-data rule (min-samples), not this test's.
 */
import { chi2Contingency } from '../../metrics/statistics/chi2.ts';
import { jensenShannon } from '../../metrics/statistics/distances.ts';

export interface PredictionShift {
  classes: string[];
  canary: number[];
  stable: number[];
  chiSquare: number;
  df: number;
  pValue: number;
  /** Distance, base 2, in [0, 1]. */
  jensenShannon: number;
}

export function predictionShift(
  canary: Record<string, number>,
  stable: Record<string, number>,
): PredictionShift {
  const count = (side: Record<string, number>, name: string, c: string) => {
    const v = side[c] ?? 0;
    if (!(Number.isFinite(v) && v >= 0))
      throw new RangeError(`predictionShift: ${name} count for class "${c}" is ${v}`);
    return v;
  };
  const classes = [...new Set([...Object.keys(canary), ...Object.keys(stable)])]
    .filter((c) => count(canary, 'canary', c) + count(stable, 'stable', c) > 0)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const c = classes.map((k) => canary[k] ?? 0);
  const s = classes.map((k) => stable[k] ?? 0);
  const empty = sum(c) === 0 || sum(s) === 0;
  if (empty || classes.length < 2) {
    return { classes, canary: c, stable: s, chiSquare: 0, df: 0, pValue: 1, jensenShannon: 0 };
  }
  const test = chi2Contingency([c, s]);
  return {
    classes,
    canary: c,
    stable: s,
    chiSquare: test.statistic,
    df: test.dof,
    pValue: test.pValue,
    jensenShannon: jensenShannon(c, s),
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
