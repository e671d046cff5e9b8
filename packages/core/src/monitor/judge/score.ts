/**
 * Kayenta's WeightedSumScorer and ThresholdScoreClassifier, for metrics without groups: the score
 * is 100 × the weight of passing metrics over the weight of judged ones (`nodata` metrics are left
 * out of both, as Kayenta leaves them out of a group's count); pass ≥ passThreshold, marginal ≥
 * marginalThreshold, else fail. A critical metric that did not pass — high, low, or without data,
 * as in Kayenta — sets the score to 0 and fails the run whatever the thresholds; so does having
 * nothing to judge at all.
 */
import type { JudgeOptions, JudgeResult, MetricJudgement } from './judge.ts';

export function scoreJudgements(metrics: MetricJudgement[], options: Required<JudgeOptions>): JudgeResult {
  let judged = 0;
  let passed = 0;
  for (const m of metrics) {
    if (m.classification === 'nodata') continue;
    judged += m.weight;
    if (m.classification === 'pass') passed += m.weight;
  }
  const failedCritical = metrics.filter((m) => m.critical && m.classification !== 'pass').map((m) => m.name);
  if (failedCritical.length > 0 || judged === 0)
    return { score: 0, verdict: 'fail', metrics, failedCritical };
  const score = (100 * passed) / judged;
  const verdict =
    score >= options.passThreshold ? 'pass' : score >= options.marginalThreshold ? 'marginal' : 'fail';
  return { score, verdict, metrics, failedCritical };
}
