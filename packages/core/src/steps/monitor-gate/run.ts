/**
 * monitor-gate: judge a model version on live metrics. check.ts refuses bad inputs before anything
 * is measured; execute.ts runs the analysis (monitor/analysis) over a provider (monitor/providers);
 * outcome.ts turns the verdict into outputs, report, summary and JUnit.
 */
import { InputError } from '../../errors.ts';
import { parseDuration } from '../../format/duration.ts';
import type { Kube } from '../../kube/client.ts';
import { connectKube } from '../../kube/connect.ts';
import { rollBackAutomatically } from '../../kube/rollback/automatic.ts';
import type { Platform } from '../../platform/port.ts';
import { labelValue } from '../deploy-rollout/manifests.ts';
import type { StepOutcome } from '../types.ts';
import { checkAnalysis } from './check.ts';
import { type Executed, execute, type Target } from './execute.ts';
import { outcomeOf } from './outcome.ts';
import { appSelector } from './selector.ts';
import type { MonitorGateInputs } from './spec.ts';

export async function run(
  inputs: MonitorGateInputs,
  platform: Platform,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const started = Date.now();
  const describe = (n: string) => platform.describeInput(n);
  const stable = inputs['stable-version'];
  if (stable === inputs['canary-version'])
    throw new InputError(`canary-version and stable-version are both '${stable}'`, {
      where: { path: describe('stable-version') },
      fix: 'Compare two different versions, or leave stable-version out.',
    });
  const settings = await checkAnalysis(inputs, describe, { stable: Boolean(stable) });
  let kube: Promise<Kube> | undefined;
  const target: Target = {
    app: inputs.app,
    namespace: inputs.namespace,
    canary: inputs['canary-version'],
    stable,
    selector: appSelector(inputs.app),
    kube: () => (kube ??= connectKube(inputs.kubeconfig, { describe: describe('kubeconfig'), signal })),
  };
  const deadlineMs = parseDuration(inputs.deadline);
  if (inputs['rollback-on-failure'] && deadlineMs === undefined)
    throw new InputError(`'${inputs.deadline}' is not a duration`, {
      where: { path: describe('deadline') },
      fix: 'Write it like 90s, 10m or 1h.',
    });
  const executed = await execute(settings, target, platform, signal);
  const rollback =
    inputs['rollback-on-failure'] && executed.result.verdict === 'failed'
      ? await rollBackAfter(executed, target, deadlineMs ?? 0, platform, signal)
      : undefined;
  return outcomeOf(executed, target, settings, inputs, platform, started, rollback);
}

/** The watch failed after promotion: the previous stable version back now, then the verdict. */
async function rollBackAfter(
  e: Executed,
  t: Target,
  deadlineMs: number,
  platform: Platform,
  signal: AbortSignal,
) {
  const why = `monitor-gate failed for ${t.canary}: ${e.result.reason}`;
  platform.warn(`${why}; rolling ${t.app} back to the previous version`);
  const r = await rollBackAutomatically(await t.kube(), {
    namespace: t.namespace,
    app: t.app,
    why,
    leaseHeld: false,
    versionLabel: labelValue,
    deadlineMs,
    runUrl: platform.runUrl() ?? null,
    signal,
    log: platform,
  });
  platform.info(`rollback: ${r.status}${r.path ? ` (${r.path})` : ''} to ${r.target.image}`);
  return r;
}
