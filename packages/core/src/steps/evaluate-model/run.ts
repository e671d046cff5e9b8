/**
 * evaluate-model: score the model (and the baseline) on the data with onnxruntime, compute the
 * metrics, compare the two, and judge the gates. Every input problem is found before the
 * first batch runs; a failed gate is a verdict, not an error.
 */
import { Engine } from '../../data/engine.ts';
import { moments } from '../../data/scan.ts';
import { displayName, resolveSource } from '../../data/sources.ts';
import { ConfigurationError, DataError } from '../../errors.ts';
import { writeJson } from '../../files/atomic.ts';
import { judgeGate, parseGates } from '../../metrics/gates.ts';
import { localModel, NothingAtTag, type PullOptions, pullOptionsOf } from '../../oci/model-ref.ts';
import { openModel, openRuntime } from '../../onnx/session.ts';
import type { Platform } from '../../platform/port.ts';
import { renderMarkdown } from '../../report/markdown.ts';
import type { StepOutcome } from '../types.ts';
import { analyse, gateValues } from './analyse.ts';
import { checkLabelKinds } from './classes.ts';
import { EarlyMetrics, type ScoredSoFar } from './early-metrics.ts';
import { numbers } from './measure.ts';
import { parsePerturbations } from './perturbations.ts';
import { gateNames, planEvaluation } from './plan.ts';
import { writePredictions } from './predictions.ts';
import { buildReport, type Report } from './report.ts';
import { Resampler, WORKER_FROM } from './resample.ts';
import { type Scored, scoreAll } from './score.ts';
import type { EvaluateModelInputs } from './spec.ts';
import { buildSummary } from './summary.ts';

export async function run(
  inputs: EvaluateModelInputs,
  platform: Platform,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  parseGates(inputs.gates, undefined); // the syntax, before seconds are spent opening models
  // Either model may be an OCI artifact by digest (train-dispatch's output, a stage's model): pulled and verified.
  const pull = (input: string) => pullOptionsOf(inputs, platform.describeInput(input), platform, signal);
  inputs = {
    ...inputs,
    model: await localModel(inputs.model, pull('model')),
    ...(inputs.baseline && { baseline: await baselineModel(inputs, pull('baseline'), platform) }),
  };
  const source = await resolveSource(inputs.data, 'data');
  const runtime = await openRuntime(inputs.device, platform);
  // No spinning: the runs alternate with DuckDB reading the next rows on the same cores.
  const options = { spin: false, ...(inputs.threads && { threads: inputs.threads }) };
  const opened = [
    {
      role: 'model' as const,
      opened: await openModel(runtime, inputs.model, { input: 'model', ...options }),
    },
  ];
  if (inputs.baseline) {
    opened.push({
      role: 'baseline' as never,
      opened: await openModel(runtime, inputs.baseline, { input: 'baseline', ...options }),
    });
  }
  platform.info(`device: ${runtime.plan.device} (${runtime.plan.providers.join(', ')}; ${runtime.reason})`);
  const engine = await Engine.open(platform, { keepOrder: true, signal });
  // The comparison's resamples get a worker, started while scoring once the rows are many.
  const resampler = new Resampler();
  const comparing = opened.length > 1 && inputs['bootstrap-samples'] > 0;
  const early = new EarlyMetrics(inputs['class-labels']);
  try {
    const plan = await planEvaluation(engine, source, inputs, opened);
    const classLabels = inputs['class-labels'];
    checkLabelKinds(plan.labelIsText, plan.models, classLabels, plan.label);
    const gates = parseGates(inputs.gates, gateNames(plan));
    const perturbations = parsePerturbations(inputs.robustness, plan.models[0]!.feeds.features);
    const stats = perturbations.length ? await moments(engine, plan.source, plan.features) : undefined;
    const seed = inputs.seed;
    // Each model's metrics are prepared as the batches come, while the reader keeps the main thread waiting.
    const onBatch = (seen: ScoredSoFar) => {
      if (comparing && seen.rows >= WORKER_FROM) resampler.warm();
      if (plan.kind === 'classification') early.add(seen);
    };

    const scored = await platform.group(`Scoring ${displayName(source)}`, () =>
      scoreAll(
        engine,
        runtime.ort,
        plan,
        {
          batchSize: inputs['batch-size'],
          perturbations,
          ...(stats && { stats }),
          seed,
          ...(classLabels.length && { classNames: classLabels }),
          // On a GPU the device does the runs and the models may be large: they stay on this thread.
          ...(runtime.plan.device === 'cpu' && {
            offload: { device: runtime.plan, options, ...offloadFrom() },
          }),
          onBatch,
        },
        platform,
      ),
    );
    reportSkipped(scored, inputs['on-missing'], displayName(source), platform);
    platform.info(
      `scored ${scored.rows.toLocaleString('en-US')} rows with ${plan.models.length} model(s) in ${scored.seconds.toFixed(2)} s`,
    );

    const analysis = await analyse(scored, plan, {
      classLabels,
      task: inputs.task,
      resamples: inputs['bootstrap-samples'],
      seed,
      log: platform,
      resampler,
      early,
    });
    const { task, names, qualities, speeds, comparison, robustness, slices, outcomes } = analysis;
    const values = gateValues(analysis);
    const results = gates.map((g) => judgeGate(g, values));
    const passed = results.every((r) => r.passed);
    const report: Report = buildReport({
      inputs,
      platform,
      source,
      plan,
      runtime,
      task,
      classes: names,
      scored,
      qualities,
      speeds,
      comparison,
      robustness,
      slices,
      gates: results,
      passed,
    });
    // The report, which says whether the run passed, is written last: when writing the predictions
    // fails, the run ends in an error and no report claims otherwise.
    if (inputs.predictions) {
      const input = platform.describeInput('predictions');
      await writePredictions(inputs.predictions, outcomes, names, plan.label, input);
    }
    const reportPath = inputs.report;
    await writeJson(reportPath, report, { input: platform.describeInput('report') });
    const summary = buildSummary(report);
    if (inputs.comment) await postComment(platform, summary, inputs.token);
    return {
      passed,
      outputs: outputsOf(report, reportPath),
      headline: { ...report.metrics, ...numbers(report.performance.model) },
      summary,
      checks: results.map((r) => ({
        id: `gate: ${r.expr}`,
        group: 'gates',
        status: r.passed ? 'pass' : 'fail',
        severity: 'error',
        message: r.passed ? `${r.observed} ${r.required}` : `observed ${r.observed}, required ${r.required}`,
        observed: r.observed,
        expected: r.required,
      })),
    };
  } finally {
    engine.close();
    void resampler.close();
  }
}

function reportSkipped(scored: Scored, onMissing: 'skip' | 'fail', data: string, platform: Platform) {
  const { features, label } = scored.skipped;
  const what = [
    features && `${features.toLocaleString('en-US')} rows with an empty or NaN feature`,
    label && `${label.toLocaleString('en-US')} rows without a label`,
  ].filter(Boolean);
  if (what.length && onMissing === 'fail') {
    throw new DataError(`'${data}' has ${what.join(' and ')}`, {
      where: { path: 'on-missing' },
      fix: "Fill or drop them before evaluation, or set on-missing to 'skip' to leave them out.",
    });
  }
  if (what.length) platform.warn(`left out ${what.join(' and ')} of '${data}' (on-missing: skip)`);
  if (scored.rows === 0) {
    throw new DataError(`'${data}' has no rows to evaluate`, {
      fix: 'Point data at a file with rows that have every feature and a label.',
    });
  }
}

const HEADLINE: Record<string, string> = {
  accuracy: 'accuracy',
  'f1-macro': 'f1_macro',
  'roc-auc': 'roc_auc',
  rmse: 'rmse',
  r2: 'r2',
};

function outputsOf(report: Report, path: string): StepOutcome['outputs'] {
  const out: StepOutcome['outputs'] = {
    passed: report.passed,
    report: path,
    metrics: JSON.stringify(report.metrics),
    'failed-gates': report.gates
      .filter((g) => !g.passed)
      .map((g) => g.expr)
      .join('\n'),
    'latency-p95-ms': report.performance.model.latency_p95_ms,
    'throughput-rows-per-s': Math.round(report.performance.model.throughput_rows_per_s),
  };
  for (const [output, metric] of Object.entries(HEADLINE)) {
    const v = report.metrics[metric];
    if (v !== undefined) out[output] = v;
  }
  return out;
}

/** A comment that cannot be posted is a warning: the verdict and the report stand without it. */
async function postComment(
  platform: Platform,
  summary: ReturnType<typeof buildSummary>,
  token: string | undefined,
) {
  try {
    const outcome = await platform.upsertComment(
      'evaluate-model',
      renderMarkdown(summary),
      token || undefined,
      'token',
    );
    if (outcome.status === 'skipped') platform.notice(`comment: skipped, ${outcome.reason}`);
    else platform.info(`comment ${outcome.status}${outcome.url ? `: ${outcome.url}` : ''}`);
  } catch (e) {
    platform.warn(
      `comment: not posted: ${e instanceof ConfigurationError ? e.render() : (e as Error).message}`,
    );
  }
}

/** The baseline's file; the fallback while its tag holds nothing yet (a stage before the first release). */
async function baselineModel(inputs: EvaluateModelInputs, pull: PullOptions, platform: Platform) {
  const fallback = inputs['baseline-fallback'];
  try {
    return await localModel(inputs.baseline!, pull);
  } catch (e) {
    if (!(e instanceof NothingAtTag && fallback)) throw e;
    platform.notice(`nothing holds ${inputs.baseline} yet: comparing with ${fallback}`);
    return fallback;
  }
}

/**
 * MODELSHIP_OFFLOAD_FROM moves the runs to the worker thread after that many rows, waiting for it:
 * for tests, which cannot make a small dataset outlast the worker's start any other way.
 */
function offloadFrom(env: NodeJS.ProcessEnv = process.env): { from?: number; wait?: boolean } {
  const from = Number(env.MODELSHIP_OFFLOAD_FROM);
  return env.MODELSHIP_OFFLOAD_FROM && Number.isInteger(from) && from >= 0 ? { from, wait: true } : {};
}
