/**
 * rollback: the app back on a version that was good. check.ts refuses bad inputs before the
 * cluster is touched; kube/rollback/ does the rollback (the same module a failed deploy calls);
 * registry.ts moves the stage back; outcome.ts reports it.
 */
import { hostname } from 'node:os';
import { connectKube } from '../../kube/connect.ts';
import { actorOf } from '../../kube/release.ts';
import { rollBack } from '../../kube/rollback/rollback.ts';
import type { Platform } from '../../platform/port.ts';
import { labelValue } from '../deploy-rollout/manifests.ts';
import type { StepOutcome } from '../types.ts';
import { checkInputs } from './check.ts';
import { outcomeOf } from './outcome.ts';
import { moveStageBack } from './registry.ts';
import type { RollbackInputs } from './spec.ts';

export async function run(
  inputs: RollbackInputs,
  platform: Platform,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const started = Date.now();
  const describe = (n: string) => platform.describeInput(n);
  const plan = checkInputs(inputs, describe);
  const kube = await connectKube(inputs.kubeconfig, { describe: describe('kubeconfig'), signal });
  const env = process.env;
  const actor = actorOf(env);
  const result = await rollBack({
    kube,
    namespace: plan.namespace,
    app: plan.app,
    to: plan.to,
    toInput: describe('to'),
    reason: plan.reason,
    actor,
    commit: env.GITHUB_SHA ?? env.CI_COMMIT_SHA ?? null,
    runUrl: platform.runUrl() ?? null,
    automatic: false,
    holder: `rollback by ${actor ?? 'someone'} on ${hostname()} (pid ${process.pid})${platform.runUrl() ? `, ${platform.runUrl()}` : ''}`,
    versionLabel: labelValue,
    deadlineMs: plan.deadlineMs,
    lockTimeoutMs: plan.lockTimeoutMs,
    wait: inputs.wait,
    dryRun: inputs['dry-run'],
    afterRecovery: (target, undone) =>
      moveStageBack(inputs, plan, target.image, undone, actor, platform, signal),
    started,
    signal,
    log: platform,
  });
  return outcomeOf({ inputs, platform, plan, kube, started, result });
}
