/**
 * The analysis loop (semantics.ts says what it means): measurements on a schedule, each metric's
 * reading judged by its conditions and the no-data rule, the limits checked after every one. The
 * clock and the sleep are injected, so the logic is tested without waiting.
 */
import { judgeGate } from '../../metrics/gates.ts';
import { predictionShift } from '../judge/prediction-shift.ts';
import type { MetricDefinition } from '../metrics-file.ts';
import { MeasurementError, type Observation, type Provider, type Variables } from '../providers/provider.ts';
import {
  count,
  emptyTally,
  type Limits,
  NO_DATA_PHASE,
  type NoDataRule,
  type Phase,
  phaseOf,
  settled,
  type Tally,
  type Verdict,
} from './semantics.ts';

/**
 * A distribution's `shift`: its distance counted only below this p-value, so that a window of few
 * requests, whose class shares wander by chance, does not read as a shift.
 */
export const SHIFT_ALPHA = 0.001;

export interface AnalysisPlan extends Limits {
  metrics: MetricDefinition[];
  canary: string;
  stable?: string | undefined;
  /** Template variables other than `version`. */
  vars: Omit<Variables, 'version'>;
  intervalMs: number;
  count: number;
  initialDelayMs: number;
  minSamples: number;
  noData: NoDataRule;
}

export interface Clock {
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  now(): number;
}

export interface Measurement {
  metric: string;
  /** 1-based. */
  index: number;
  at: string;
  phase: Phase;
  /** The canary's value (for a distribution: the Jensen–Shannon distance). */
  value?: number;
  stable?: number;
  samples?: number;
  /** A distribution's counts and test, for the report. */
  distribution?: {
    canary: Record<string, number>;
    stable: Record<string, number>;
    pValue: number;
    chiSquare: number;
  };
  /** One line: the condition and what was seen, the no-data rule, or the error's message. */
  detail: string;
}

export interface MetricOutcome {
  name: string;
  phase: Phase;
  tally: Tally;
  /** Why it ended as it did. */
  why: string;
}

export interface AnalysisResult {
  verdict: Verdict;
  /** One line. */
  reason: string;
  metrics: MetricOutcome[];
  measurements: Measurement[];
  /** Measurements made (each reads every metric). */
  made: number;
}

export async function analyse(
  plan: AnalysisPlan,
  provider: Provider,
  clock: Clock,
  signal: AbortSignal,
  onMeasurement: (m: Measurement[], index: number) => void = () => {},
): Promise<AnalysisResult> {
  const tallies = new Map(plan.metrics.map((m) => [m.name, emptyTally()]));
  const measurements: Measurement[] = [];
  const versions = plan.stable ? [plan.canary, plan.stable] : [plan.canary];
  if (plan.initialDelayMs > 0) await clock.sleep(plan.initialDelayMs, signal);
  await provider.begin(versions, signal);
  for (let i = 1; i <= plan.count; i++) {
    await clock.sleep(plan.intervalMs, signal);
    await provider.tick(signal);
    const at = new Date(clock.now()).toISOString();
    const round = await Promise.all(plan.metrics.map((m) => measure(plan, provider, m, i, at, signal)));
    measurements.push(...round);
    for (const m of round) tallies.set(m.metric, count(tallies.get(m.metric)!, m.phase));
    onMeasurement(round, i);
    const ended = plan.metrics.find((m) => settled(tallies.get(m.name)!, plan));
    if (ended) return conclude(plan, tallies, measurements, i);
  }
  return conclude(plan, tallies, measurements, plan.count);
}

function conclude(
  plan: AnalysisPlan,
  tallies: Map<string, Tally>,
  measurements: Measurement[],
  made: number,
): AnalysisResult {
  const metrics: MetricOutcome[] = plan.metrics.map((m) => {
    const tally = tallies.get(m.name)!;
    const end = settled(tally, plan);
    return end
      ? { name: m.name, phase: end.phase, tally, why: end.why }
      : {
          name: m.name,
          phase: 'successful',
          tally,
          why: `${tally.successful} of ${made} measurements successful`,
        };
  });
  const worst =
    metrics.find((m) => m.phase === 'failed' || m.phase === 'error') ??
    metrics.find((m) => m.phase === 'inconclusive');
  if (!worst)
    return {
      verdict: 'passed',
      reason: `all ${metrics.length} metrics passed ${made} measurements`,
      metrics,
      measurements,
      made,
    };
  const verdict: Verdict = worst.phase === 'inconclusive' ? 'inconclusive' : 'failed';
  const last = [...measurements].reverse().find((x) => x.metric === worst.name && x.phase !== 'successful');
  return {
    verdict,
    reason: `${worst.name}: ${worst.why}${last ? `; last: ${last.detail}` : ''}`,
    metrics,
    measurements,
    made,
  };
}

async function measure(
  plan: AnalysisPlan,
  provider: Provider,
  metric: MetricDefinition,
  index: number,
  at: string,
  signal: AbortSignal,
): Promise<Measurement> {
  const base = { metric: metric.name, index, at };
  try {
    const canary = await provider.read(metric, { ...plan.vars, version: plan.canary }, signal);
    const stable = plan.stable ? await readStable(provider, metric, plan, signal) : undefined;
    const samples = Math.min(
      canary.samples ?? Number.POSITIVE_INFINITY,
      stable?.samples ?? Number.POSITIVE_INFINITY,
    );
    if (samples < plan.minSamples || !canary.observation)
      return {
        ...base,
        phase: NO_DATA_PHASE[plan.noData],
        ...(Number.isFinite(samples) && { samples }),
        detail: `no data: ${Number.isFinite(samples) ? samples : 0} requests, fewer than min-samples ${plan.minSamples} (no-data: ${plan.noData})`,
      };
    return {
      ...base,
      ...judged(metric, canary.observation, stable?.observation),
      samples: canary.samples ?? samples,
    };
  } catch (e) {
    if (!(e instanceof MeasurementError)) throw e;
    return { ...base, phase: 'error', detail: e.message };
  }
}

async function readStable(
  provider: Provider,
  metric: MetricDefinition,
  plan: AnalysisPlan,
  signal: AbortSignal,
) {
  try {
    return await provider.read(metric, { ...plan.vars, version: plan.stable! }, signal);
  } catch (e) {
    // A value metric can be judged without the stable's value unless its conditions name it.
    if (e instanceof MeasurementError && metric.shape === 'value' && !usesStable(metric)) return undefined;
    if (e instanceof MeasurementError)
      throw new MeasurementError(`stable version ${plan.stable}: ${e.message}`);
    throw e;
  }
}

const usesStable = (m: MetricDefinition) =>
  /\bstable\b/.test(`${m.success?.expr ?? ''} ${m.failure?.expr ?? ''}`);

function judged(
  metric: MetricDefinition,
  canary: Observation,
  stable: Observation | undefined,
): Pick<Measurement, 'phase' | 'value' | 'stable' | 'distribution' | 'detail'> {
  const values = new Map<string, number>();
  let extra: Pick<Measurement, 'value' | 'stable' | 'distribution'>;
  if (canary.kind === 'distribution') {
    if (stable?.kind !== 'distribution')
      throw new MeasurementError(
        `${metric.name} compares with the stable version's, and there is none to compare with`,
      );
    const shift = predictionShift(canary.counts, stable.counts);
    values
      .set('result', shift.jensenShannon)
      .set('p_value', shift.pValue)
      .set('chi_square', shift.chiSquare)
      .set('shift', shift.pValue < SHIFT_ALPHA ? shift.jensenShannon : 0);
    extra = {
      value: shift.jensenShannon,
      distribution: {
        canary: canary.counts,
        stable: stable.counts,
        pValue: shift.pValue,
        chiSquare: shift.chiSquare,
      },
    };
  } else {
    values.set('result', canary.value);
    if (stable?.kind === 'value') values.set('stable', stable.value);
    extra = { value: canary.value, ...(stable?.kind === 'value' && { stable: stable.value }) };
  }
  const success = metric.success && judgeGate(metric.success, values);
  const failure = metric.failure && judgeGate(metric.failure, values);
  const phase = phaseOf(success?.passed, failure?.passed);
  return { phase, ...extra, detail: detailOf(metric, values, success, failure) };
}

function detailOf(
  metric: MetricDefinition,
  values: Map<string, number>,
  success: ReturnType<typeof judgeGate> | undefined,
  failure: ReturnType<typeof judgeGate> | undefined,
): string {
  const shown = [...values].map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(', ');
  const conds = [
    success && `success ${metric.success!.expr}: ${success.passed}`,
    failure && `failure ${metric.failure!.expr}: ${failure.passed}`,
  ].filter(Boolean);
  return `${shown}${conds.length ? `; ${conds.join('; ')}` : ''}`;
}
