/** How a deploy ends for the CI: the JSON report, the outputs, the summary and the one JUnit case. */
import { writeJson } from '../../files/atomic.ts';
import type { Kube } from '../../kube/client.ts';
import { type Release, recordName } from '../../kube/release.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Platform } from '../../platform/port.ts';
import type { StepOutcome } from '../types.ts';
import type { Plan } from './check.ts';
import type { DeployRolloutInputs } from './spec.ts';
import { buildSummary } from './summary.ts';

export interface Ended {
  inputs: DeployRolloutInputs;
  platform: Platform;
  plan: Plan;
  kube: Kube;
  started: number;
  release: Release;
  /** The objects as applied (or planned). */
  objects: KubeObject[];
  evidence: string[];
  /** The release record's version after the last write; absent for a dry run. */
  recordVersion?: string | undefined;
  /** What became of the app's alert rules (`alerts`): applied, or why not. */
  alerts?: string | undefined;
}

const PASSED = new Set<string>(['promoted', 'applied', 'planned']);

export async function outcomeOf(e: Ended): Promise<StepOutcome> {
  const { plan, release, kube } = e;
  const status = release.status;
  // A canary held at a bare `pause` did what was asked; one paused by on-failure did not.
  const passed = PASSED.has(status) || (status === 'paused' && release.pausedAt !== undefined);
  const seconds = (Date.now() - e.started) / 1000;
  const report = {
    step: 'deploy-rollout',
    passed,
    status,
    app: plan.app,
    namespace: plan.namespace,
    server: kube.server,
    release,
    evidence: e.evidence,
    // The manifests modelship writes hold no credential: the kubeconfig never enters them.
    manifests: e.objects,
    api: { requests: kube.requests, retries: kube.retries },
    record: e.recordVersion ? { configMap: recordName(plan.app), resourceVersion: e.recordVersion } : null,
    alerts: e.alerts ?? null,
    seconds,
  };
  await writeJson(e.inputs.report, report, { input: e.platform.describeInput('report') });
  return {
    passed,
    outputs: {
      status,
      revision: release.revision,
      image: plan.image,
      'previous-image': release.previousImage ?? '',
      'stable-version': status === 'promoted' ? plan.image : (release.previousImage ?? ''),
      report: e.inputs.report,
    },
    summary: buildSummary({ plan, release, evidence: e.evidence, requests: kube.requests, seconds, passed }),
    checks: [
      {
        id: 'rollout',
        group: plan.app,
        status: passed ? 'pass' : 'fail',
        severity: 'error',
        message: passed ? `${plan.app} ${status}` : (release.reason ?? status),
      },
    ],
    headline: { api_requests: kube.requests, rollout_seconds: seconds },
  };
}
