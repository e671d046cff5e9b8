/**
 * The canary judge: Kayenta's NetflixACAJudge semantics (MannWhitneyClassifier + WeightedSumScorer)
 * on per-interval samples of each metric, canary against stable. classify.ts decides each metric,
 * score.ts turns the decisions into a score and a verdict; this file is their one entry and the
 * types the monitor-gate step uses.
 */
import { classifyMetric } from './classify.ts';
import { scoreJudgements } from './score.ts';

/** Which change is BAD: latency 'increase', throughput 'decrease', 'either' for both. */
export type Direction = 'increase' | 'decrease' | 'either';

export interface JudgeMetric {
  name: string;
  canary: number[];
  stable: number[];
  direction: Direction;
  critical?: boolean;
  weight?: number;
  /** Effect-size bounds as fractions of the stable mean, e.g. 0.1 = 10 %. Default 0. */
  allowedIncrease?: number;
  allowedDecrease?: number;
  /** What a NaN or ±Infinity sample becomes: dropped (default) or 0. */
  nanStrategy?: 'remove' | 'replace';
}

export interface JudgeOptions {
  /** Confidence of the Hodges–Lehmann interval (Kayenta: 0.98). */
  confidence?: number;
  /** The band ±tolerance·|estimate| the interval must clear (Kayenta: 0.25). */
  tolerance?: number;
  passThreshold?: number;
  marginalThreshold?: number;
}

export type Classification = 'pass' | 'high' | 'low' | 'nodata';

export interface MetricJudgement {
  name: string;
  classification: Classification;
  critical: boolean;
  weight: number;
  pValue: number | null;
  hodgesLehmann: { estimate: number; low: number; high: number } | null;
  /** Canary mean / stable mean; null without data or when the stable mean is 0. */
  ratio: number | null;
  canary: { n: number; mean: number | null };
  stable: { n: number; mean: number | null };
  /** One human line. */
  reason: string;
}

export interface JudgeResult {
  /** 0–100. */
  score: number;
  verdict: 'pass' | 'marginal' | 'fail';
  metrics: MetricJudgement[];
  failedCritical: string[];
}

export const JUDGE_DEFAULTS: Required<JudgeOptions> = {
  confidence: 0.98,
  tolerance: 0.25,
  passThreshold: 95,
  marginalThreshold: 75,
};

export function judge(metrics: JudgeMetric[], options: JudgeOptions = {}): JudgeResult {
  const o = { ...JUDGE_DEFAULTS, ...options };
  checkOptions(o);
  return scoreJudgements(
    metrics.map((m) => classifyMetric(m, o)),
    o,
  );
}

/** The step validates its inputs; a bad value reaching here is a bug, so a RangeError. */
function checkOptions(o: Required<JudgeOptions>): void {
  const bad = (what: string, v: number) => new RangeError(`judge: ${what} ${v}`);
  if (!(o.confidence > 0 && o.confidence < 1)) throw bad('confidence must be in (0, 1), got', o.confidence);
  if (!(o.tolerance >= 0 && Number.isFinite(o.tolerance)))
    throw bad('tolerance must be ≥ 0, got', o.tolerance);
  if (!(o.passThreshold >= 0 && o.passThreshold <= 100))
    throw bad('passThreshold must be in [0, 100], got', o.passThreshold);
  if (!(o.marginalThreshold >= 0 && o.marginalThreshold <= o.passThreshold)) {
    throw bad('marginalThreshold must be in [0, passThreshold], got', o.marginalThreshold);
  }
}
