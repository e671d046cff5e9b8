/**
 * One metric, canary against stable, classified as Kayenta's MannWhitneyClassifier does:
 *
 * 1. Samples: a NaN or ±Infinity is dropped (nanStrategy 'remove', the default) or becomes 0
 *    ('replace'). Kayenta's IQR outlier removal is not applied: a rollout's per-interval samples are
 *    few, and an outlier among them is as likely the regression as noise.
 * 2. No sample left on a side → `nodata` (Kayenta passes an empty side under 'replace'; here no
 *    data is never evidence of health, whatever the strategy).
 * 3. Mann–Whitney U (two-sided, scipy's rules) gives the reported p-value; the decision uses the
 *    Hodges–Lehmann shift canary − stable and its distribution-free interval at `confidence`
 *    (0.98), which Kayenta gets from R's wilcox.test and we get exactly, without its root finding
 *    and so without its Gaussian noise for all-tied samples.
 * 4. Tolerance band: the interval must clear ±tolerance·|estimate| (0.25) to count as a change —
 *    low > +band is higher, high < −band is lower; an interval reaching into the band is a pass.
 * 5. Effect size: the change in means relative to the stable mean, (c̄ − s̄)/|s̄| (canary/stable − 1
 *    for positive means, Kayenta's mean ratio). A higher canary is `high` only when this reaches
 *    allowedIncrease, a lower one `low` only when it reaches −allowedDecrease; a significant change
 *    smaller than that passes. A stable mean of 0 makes any rise an infinite change (Kayenta uses a
 *    ratio of 1 there, which lets a canary that errors against an error-free stable through).
 * 6. Direction: a change in the harmless direction (lower latency, higher throughput) is a pass,
 *    as in Kayenta, so `high` and `low` always mean failure; 'either' fails both ways.
 */
import { hodgesLehmannSorted } from '../../metrics/statistics/hodges-lehmann.ts';
import { mannWhitneyFromRanks, rankSums } from '../../metrics/statistics/mann-whitney.ts';
import type { Classification, Direction, JudgeMetric, JudgeOptions, MetricJudgement } from './judge.ts';

type Shift = NonNullable<MetricJudgement['hodgesLehmann']>;

export function classifyMetric(metric: JudgeMetric, options: Required<JudgeOptions>): MetricJudgement {
  checkMetric(metric);
  const canary = clean(metric.canary, metric.nanStrategy);
  const stable = clean(metric.stable, metric.nanStrategy);
  const base = {
    name: metric.name,
    critical: metric.critical ?? false,
    weight: metric.weight ?? 1,
    canary: { n: canary.length, mean: mean(canary) },
    stable: { n: stable.length, mean: mean(stable) },
  };
  if (canary.length === 0 || stable.length === 0) {
    const side =
      canary.length + stable.length === 0 ? 'canary or stable' : canary.length === 0 ? 'canary' : 'stable';
    return {
      ...base,
      classification: 'nodata',
      pValue: null,
      hodgesLehmann: null,
      ratio: null,
      reason: `no ${side} samples`,
    };
  }
  const ranks = rankSums(canary, stable);
  const pValue = mannWhitneyFromRanks(canary.length, stable.length, ranks).pValue;
  const shift = hodgesLehmannSorted(canary, stable, options.confidence, ranks.tieTerm);
  const [cm, sm] = [base.canary.mean!, base.stable.mean!];
  const ratio = sm !== 0 ? cm / sm : null;
  const change = relativeChange(cm, sm);
  const { classification, reason } = decide(metric, options, shift, change);
  return { ...base, classification, pValue, hodgesLehmann: shift, ratio, reason };
}

function decide(
  metric: JudgeMetric,
  options: Required<JudgeOptions>,
  shift: Shift,
  change: number,
): { classification: Classification; reason: string } {
  const band = options.tolerance * Math.abs(shift.estimate);
  const interval = `${pct(options.confidence)} interval of the shift ${num(shift.low)} … ${num(shift.high)}`;
  const higher = shift.low > band;
  if (!higher && !(shift.high < -band)) {
    return {
      classification: 'pass',
      reason: `no significant shift: ${interval} does not clear ±${num(band)} (tolerance ${pct(options.tolerance)} of the estimate)`,
    };
  }
  const way = higher ? 'higher' : 'lower';
  if (!harmful(metric.direction, higher)) {
    return {
      classification: 'pass',
      reason: `canary ${way} than stable (${interval}), harmless for direction ${metric.direction}`,
    };
  }
  const allowed = higher ? (metric.allowedIncrease ?? 0) : (metric.allowedDecrease ?? 0);
  const effect = higher ? change : -change;
  if (effect < allowed) {
    return {
      classification: 'pass',
      reason: `canary ${way} than stable (${interval}) but the mean moved ${pctSigned(change)}, within the allowed ${pct(allowed)}`,
    };
  }
  return {
    classification: higher ? 'high' : 'low',
    reason: `canary ${way} than stable: ${interval}, mean ${pctSigned(change)} against the stable's (allowed ${pct(allowed)})`,
  };
}

/** (c̄ − s̄)/|s̄|; from a stable mean of 0 any move is infinite. */
function relativeChange(cm: number, sm: number): number {
  if (sm !== 0) return (cm - sm) / Math.abs(sm);
  return cm === 0 ? 0 : cm > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

const harmful = (direction: Direction, higher: boolean) =>
  direction === 'either' || (direction === 'increase') === higher;

/** The samples as a sorted Float64Array, non-finite values dropped or zeroed. */
function clean(values: readonly number[], strategy: JudgeMetric['nanStrategy'] = 'remove'): Float64Array {
  const kept =
    strategy === 'replace' ? values.map((v) => (Number.isFinite(v) ? v : 0)) : values.filter(Number.isFinite);
  return new Float64Array(kept).sort();
}

function mean(xs: Float64Array): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** The step validates metrics; a bad value reaching here is a bug, so a RangeError. */
function checkMetric(m: JudgeMetric): void {
  const bad = (what: string) => new RangeError(`judge: metric "${m.name}": ${what}`);
  if (!['increase', 'decrease', 'either'].includes(m.direction))
    throw bad(`unknown direction ${m.direction}`);
  if (m.weight !== undefined && !(m.weight >= 0 && Number.isFinite(m.weight)))
    throw bad(`weight ${m.weight} is not ≥ 0`);
  for (const [key, v] of [
    ['allowedIncrease', m.allowedIncrease],
    ['allowedDecrease', m.allowedDecrease],
  ] as const) {
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw bad(`${key} ${v} is not ≥ 0`);
  }
}

const num = (v: number) =>
  (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6) || v === 0
    ? String(Number(v.toPrecision(3)))
    : v.toExponential(2);
const pct = (f: number) => `${Number((f * 100).toPrecision(3))} %`;
const pctSigned = (f: number) =>
  Number.isFinite(f) ? `${f >= 0 ? '+' : ''}${pct(f)}` : `${f > 0 ? '+' : '-'}∞ % (stable mean 0)`;
