/**
 * monitor-gate: judge a model version on live metrics. check.ts refuses bad inputs before anything
 * is measured; execute.ts runs the analysis (monitor/analysis) over a provider (monitor/providers);
 * outcome.ts turns the verdict into outputs, report, summary and JUnit.
 */
import { InputError } from '../../errors.ts';
import type { Kube } from '../../kube/client.ts';
import { connectKube } from '../../kube/connect.ts';
import type { Platform } from '../../platform/port.ts';
import type { StepOutcome } from '../types.ts';
import { checkAnalysis } from './check.ts';
import { execute, type Target } from './execute.ts';
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
  const executed = await execute(settings, target, platform, signal);
  return outcomeOf(executed, target, settings, inputs, platform, started);
}
