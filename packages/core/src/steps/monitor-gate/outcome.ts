/** How an analysis ends for the CI: the JSON report, the outputs, the summary, a JUnit case per measurement. */
import { writeJson } from '../../files/atomic.ts';
import type { RollbackResult } from '../../kube/rollback/rollback.ts';
import type { Measurement, MetricOutcome } from '../../monitor/analysis/loop.ts';
import type { Platform } from '../../platform/port.ts';
import type { CheckResult } from '../../report/summary.ts';
import type { StepOutcome } from '../types.ts';
import type { AnalysisSettings } from './check.ts';
import type { Executed, Target } from './execute.ts';
import type { MonitorGateInputs } from './spec.ts';
import { buildSummary } from './summary.ts';

export async function outcomeOf(
  e: Executed,
  t: Target,
  s: AnalysisSettings,
  inputs: MonitorGateInputs,
  platform: Platform,
  started: number,
  rollback?: RollbackResult,
): Promise<StepOutcome> {
  const r = e.result;
  const seconds = (Date.now() - started) / 1000;
  const failed = r.metrics.filter((m) => m.phase !== 'successful').map((m) => m.name);
  const report = {
    step: 'monitor-gate',
    verdict: r.verdict,
    passed: r.verdict === 'passed',
    reason: r.reason,
    score: e.score,
    app: t.app,
    namespace: t.namespace,
    canary: t.canary,
    stable: t.stable ?? null,
    // The token never enters the report: only where Prometheus is.
    provider: { kind: s.provider, url: s.prometheus?.url ?? null, requests: e.requests },
    analysis: {
      interval: s.interval,
      count: s.count,
      initialDelayMs: s.initialDelayMs,
      failureLimit: s.failureLimit,
      inconclusiveLimit: s.inconclusiveLimit,
      consecutiveErrorLimit: s.consecutiveErrorLimit,
      minSamples: s.minSamples,
      noData: s.noData,
      judge: s.judge,
    },
    metrics: r.metrics,
    measurements: r.measurements,
    judge: e.judge ?? null,
    rollback: rollback
      ? {
          status: rollback.status,
          path: rollback.path,
          to: rollback.target.image,
          seconds: rollback.recoverySeconds,
        }
      : null,
    seconds,
  };
  await writeJson(inputs.report, report, { input: platform.describeInput('report') });
  return {
    passed: r.verdict === 'passed',
    ...(r.verdict === 'inconclusive' && { exitCode: inputs['inconclusive-exit'] }),
    outputs: {
      verdict: r.verdict,
      score: e.score,
      'rolled-back': String(rollback?.status === 'rolled-back'),
      'failed-metrics': failed.join(','),
      report: inputs.report,
    },
    summary: buildSummary(e, t),
    checks: [...r.metrics.map(metricCheck), ...r.measurements.map(measurementCheck)],
    headline: { analysis_score: e.score, analysis_measurements: r.made },
  };
}

const metricCheck = (m: MetricOutcome): CheckResult => ({
  id: m.name,
  group: 'metric',
  status: m.phase === 'successful' ? 'pass' : m.phase === 'inconclusive' ? 'warn' : 'fail',
  severity: 'error',
  message: `${m.name} ${m.phase}: ${m.why}`,
});

/** One JUnit case per measurement, so GitLab's widget lists each; errors below the limit warn. */
const measurementCheck = (x: Measurement): CheckResult => ({
  id: `${x.metric} #${x.index}`,
  group: `measurement.${x.metric}`,
  status: x.phase === 'successful' ? 'pass' : x.phase === 'failed' ? 'fail' : 'warn',
  severity: x.phase === 'failed' ? 'error' : 'warning',
  message: `${x.phase}: ${x.detail}`,
  ...(x.value !== undefined && { observed: x.value }),
});
