/** How a rollback ends for the CI: the JSON report, the outputs, the summary and the one JUnit case. */
import { writeJson } from '../../files/atomic.ts';
import type { Kube } from '../../kube/client.ts';
import { recordName } from '../../kube/release.ts';
import type { RollbackResult } from '../../kube/rollback/rollback.ts';
import type { Platform } from '../../platform/port.ts';
import type { StepOutcome } from '../types.ts';
import type { Plan } from './check.ts';
import type { RollbackInputs } from './spec.ts';
import { buildSummary } from './summary.ts';

const PASSED = new Set(['rolled-back', 'already-there', 'planned', 'applied']);

export async function outcomeOf(e: {
  inputs: RollbackInputs;
  platform: Platform;
  plan: Plan;
  kube: Kube;
  started: number;
  result: RollbackResult;
}): Promise<StepOutcome> {
  const { plan, result, kube } = e;
  const passed = PASSED.has(result.status);
  const seconds = (Date.now() - e.started) / 1000;
  const from = result.from[0] ?? result.entry?.previousImage ?? '';
  const report = {
    step: 'rollback',
    passed,
    status: result.status,
    app: plan.app,
    namespace: plan.namespace,
    server: kube.server,
    from: result.from,
    to: result.target.image,
    version: result.target.version,
    path: result.path,
    stopped: result.stopped ?? null,
    reason: plan.reason,
    recoverySeconds: result.recoverySeconds,
    failure: result.reason ?? null,
    entry: result.entry ?? null,
    record: recordName(plan.app),
    history: result.releases,
    api: { requests: kube.requests, retries: kube.retries },
    seconds,
  };
  await writeJson(e.inputs.report, report, { input: e.platform.describeInput('report') });
  return {
    passed,
    outputs: {
      status: result.status,
      from,
      to: result.target.image,
      path: result.path ?? '',
      revision: result.entry?.revision ?? '',
      'recovery-seconds': result.recoverySeconds ?? '',
      report: e.inputs.report,
    },
    summary: buildSummary({ plan, result, requests: kube.requests, seconds, passed }),
    checks: [
      {
        id: 'rollback',
        group: plan.app,
        status: passed ? 'pass' : 'fail',
        severity: 'error',
        message: passed ? `${plan.app} ${result.status}` : (result.reason ?? result.status),
      },
    ],
    headline: {
      api_requests: kube.requests,
      rollback_seconds: seconds,
      ...(result.recoverySeconds !== null && { recovery_seconds: result.recoverySeconds }),
    },
  };
}
