/**
 * The analysis semantics, as argo-rollouts defines them where it has them:
 *
 * - Timing: after `initialDelay`, the provider takes its starting point (begin), then `count`
 *   measurements are made `interval` apart; each covers the interval that just ended. Every metric
 *   is read at each measurement, for the canary and (when given) the stable version.
 * - A measurement of one metric is `successful`, `failed`, `inconclusive` or `error`:
 *     - error: the reading could not be made (no series, several series, NaN/Inf, the provider
 *       down). Errors are results, recorded with their message, never a crash.
 *     - no data: the reading rests on fewer than `minSamples` requests (its samples query); the
 *       `noData` rule makes it failed, inconclusive or successful.
 *     - otherwise the conditions decide: `failure` true → failed; `success` true → successful;
 *       both given and neither true → inconclusive; only `success` given and false → failed;
 *       only `failure` given and false, or none given → successful.
 * - Limits, per metric, each "exceeded" meaning strictly more than the limit:
 *     - failed measurements > `failureLimit` (default 0, so one failure fails) → the metric fails;
 *     - inconclusive measurements > `inconclusiveLimit` (default 0) → the metric is inconclusive;
 *     - consecutive errors > `consecutiveErrorLimit` (default 4) → the metric is in error, which
 *       ends the analysis as **failed** with the reason "N consecutive measurement errors" (argo
 *       marks the run Error, which aborts a rollout as Failed does). A successful, failed or
 *       inconclusive measurement resets the count; errors below the limit change nothing else.
 * - The analysis stops at the first metric that fails, errs or is inconclusive (nothing a later
 *   measurement shows can undo it), else after `count` measurements.
 * - Verdict: failed if any metric failed or erred; else inconclusive if any was inconclusive (or
 *   the judge said marginal); else passed. With `judge: compare`, after a complete analysis, the
 *   judge compares each comparable metric's per-measurement canary values with the stable's; its
 *   `fail` fails the analysis, `marginal` makes it inconclusive.
 */
export type Phase = 'successful' | 'failed' | 'inconclusive' | 'error';
export type Verdict = 'passed' | 'failed' | 'inconclusive';
export type NoDataRule = 'fail' | 'inconclusive' | 'pass';

export interface Limits {
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
}

export const NO_DATA_PHASE: Record<NoDataRule, Phase> = {
  fail: 'failed',
  inconclusive: 'inconclusive',
  pass: 'successful',
};

/** argo's evaluateResult: what the success and failure conditions make of one reading. */
export function phaseOf(success: boolean | undefined, failure: boolean | undefined): Phase {
  if (failure === true) return 'failed';
  if (success === true) return 'successful';
  if (success !== undefined && failure !== undefined) return 'inconclusive';
  if (success === false) return 'failed';
  return 'successful';
}

export interface Tally {
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveErrors: number;
}

export const emptyTally = (): Tally => ({
  successful: 0,
  failed: 0,
  inconclusive: 0,
  error: 0,
  consecutiveErrors: 0,
});

export function count(t: Tally, phase: Phase): Tally {
  const next = { ...t, [phase]: t[phase] + 1 };
  next.consecutiveErrors = phase === 'error' ? t.consecutiveErrors + 1 : 0;
  return next;
}

/** The metric's state once a limit is exceeded; undefined while it may still pass. */
export function settled(
  t: Tally,
  l: Limits,
): { phase: Exclude<Phase, 'successful'>; why: string } | undefined {
  if (t.failed > l.failureLimit)
    return {
      phase: 'failed',
      why: `${t.failed} failed measurement${t.failed > 1 ? 's' : ''} (limit ${l.failureLimit})`,
    };
  if (t.consecutiveErrors > l.consecutiveErrorLimit)
    return {
      phase: 'error',
      why: `${t.consecutiveErrors} consecutive measurement errors (limit ${l.consecutiveErrorLimit})`,
    };
  if (t.inconclusive > l.inconclusiveLimit)
    return {
      phase: 'inconclusive',
      why: `${t.inconclusive} inconclusive measurement${t.inconclusive > 1 ? 's' : ''} (limit ${l.inconclusiveLimit})`,
    };
  return undefined;
}
