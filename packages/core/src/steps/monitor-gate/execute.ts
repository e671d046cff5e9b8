/**
 * One analysis, start to verdict: the provider from its kind, the loop on the real clock with
 * progress, and with `judge: compare` Kayenta's judge over the per-interval values. Used by
 * monitor-gate and, through hook.ts, between deploy-rollout's canary steps.
 */
import { formatDuration } from '../../format/duration.ts';
import type { Kube } from '../../kube/client.ts';
import { type AnalysisResult, analyse, type Clock, type Measurement } from '../../monitor/analysis/loop.ts';
import { type JudgeResult, judge } from '../../monitor/judge/judge.ts';
import type { MetricDefinition } from '../../monitor/metrics-file.ts';
import { PROVIDER_KINDS } from '../../monitor/providers/kinds.ts';
import { sleep } from '../../net/retry.ts';
import type { Logger } from '../../platform/port.ts';
import type { AnalysisSettings } from './check.ts';

export interface Target {
  app: string;
  namespace: string;
  canary: string;
  stable?: string | undefined;
  /** The label selector of the app's pods (kubernetes provider). */
  selector: string;
  kube: () => Promise<Kube>;
}

export interface Executed {
  result: AnalysisResult;
  judge?: JudgeResult;
  /** 0–100: the judge's score, else the share of metrics that passed. */
  score: number;
  requests: number;
}

const REAL_CLOCK: Clock = { sleep, now: () => Date.now() };

export async function execute(
  s: AnalysisSettings,
  t: Target,
  log: Logger,
  signal: AbortSignal,
  clock: Clock = REAL_CLOCK,
): Promise<Executed> {
  const provider = await PROVIDER_KINDS[s.provider]({
    namespace: t.namespace,
    metricsPort: s.metricsPort,
    selector: t.selector,
    kube: t.kube,
    ...(s.prometheus && { prometheus: s.prometheus }),
  });
  log.info(
    `analysing ${t.app} ${t.canary}${t.stable ? ` against ${t.stable}` : ''}: ${s.metrics.map((m) => m.name).join(', ')}, ${s.count} × ${s.interval} (${s.provider})`,
  );
  const result = await analyse(
    { ...s, canary: t.canary, stable: t.stable, vars: varsOf(s, t) },
    provider,
    clock,
    signal,
    (round, i) =>
      log.progress(
        `measurement ${i} of ${s.count} (${formatDuration((s.count - i) * s.intervalMs)} left): ${round.map(brief).join('; ')}`,
      ),
  );
  const passedShare = Math.round(
    (100 * result.metrics.filter((m) => m.phase === 'successful').length) /
      Math.max(1, result.metrics.length),
  );
  const comparable = s.metrics.filter((m) => m.compare && m.shape === 'value');
  if (s.judge !== 'compare' || !t.stable || result.made < s.count || !comparable.length)
    return { result, score: passedShare, requests: provider.requests };
  const judged = judge(comparable.map((m) => judgeMetric(m, result.measurements)));
  return {
    result: withJudge(result, judged),
    judge: judged,
    score: judged.score,
    requests: provider.requests,
  };
}

function varsOf(s: AnalysisSettings, t: Target) {
  return {
    app: t.app,
    namespace: t.namespace,
    canary_version: t.canary,
    stable_version: t.stable ?? '',
    interval: s.interval,
  };
}

const brief = (m: Measurement) =>
  `${m.metric} ${m.phase}${m.value !== undefined ? ` ${Number(m.value.toPrecision(3))}` : ''}`;

function judgeMetric(m: MetricDefinition, measurements: Measurement[]) {
  const mine = measurements.filter(
    (x) => x.metric === m.name && x.value !== undefined && x.stable !== undefined,
  );
  return {
    name: m.name,
    canary: mine.map((x) => x.value!),
    stable: mine.map((x) => x.stable!),
    direction: m.direction,
    critical: m.critical,
    weight: m.weight,
    ...(m.allowedIncrease !== undefined && { allowedIncrease: m.allowedIncrease }),
    ...(m.allowedDecrease !== undefined && { allowedDecrease: m.allowedDecrease }),
  };
}

/** The judge can only make a verdict worse: a failed analysis stays failed whatever it scores. */
function withJudge(result: AnalysisResult, j: JudgeResult): AnalysisResult {
  if (result.verdict !== 'passed' || j.verdict === 'pass') return result;
  const flagged = j.metrics
    .filter((m) => m.classification === 'high' || m.classification === 'low')
    .map((m) => `${m.name} ${m.classification}`);
  return {
    ...result,
    verdict: j.verdict === 'fail' ? 'failed' : 'inconclusive',
    reason: `judge: score ${Number(j.score.toFixed(1))} (${j.verdict})${flagged.length ? `: ${flagged.join(', ')}` : ''}${j.failedCritical.length ? `; critical: ${j.failedCritical.join(', ')}` : ''}`,
  };
}
