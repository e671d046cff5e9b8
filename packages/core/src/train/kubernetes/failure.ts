/**
 * Why a training Job ended the way it did, in one line read from the cluster: a container's exit
 * code or OOMKilled, a pod that cannot be scheduled, the deadline, the retries spent.
 */
import type { KubeObject } from '../../kube/types.ts';
import { CONTAINER } from './job.ts';
import { rankOf } from './logs.ts';

interface Terminated {
  exitCode?: number;
  reason?: string;
  message?: string;
}

export type JobState = 'running' | 'succeeded' | 'failed';

/** A Job's verdict from its conditions. */
export function jobState(job: KubeObject): JobState {
  const conditions: { type: string; status: string }[] = job.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return 'succeeded';
  return 'running';
}

/** The training container's end, if it ended. */
export function terminatedOf(pod: KubeObject): Terminated | undefined {
  const status = (pod.status?.containerStatuses ?? []).find((c: { name: string }) => c.name === CONTAINER);
  return status?.state?.terminated ?? status?.lastState?.terminated;
}

/** A pod the scheduler cannot place, with the scheduler's words. */
export function unschedulable(pod: KubeObject): string | undefined {
  const c = (pod.status?.conditions ?? []).find(
    (x: { type: string; status: string; reason?: string }) =>
      x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable',
  );
  return c ? `rank ${rankOf(pod)}: Unschedulable: ${c.message ?? 'no node fits'}` : undefined;
}

/** An image that cannot be pulled: the pod would wait forever, so it is a failure now. */
export function pullFailure(pod: KubeObject): string | undefined {
  const status = (pod.status?.containerStatuses ?? []).find((c: { name: string }) => c.name === CONTAINER);
  const waiting = status?.state?.waiting as { reason?: string; message?: string } | undefined;
  if (waiting?.reason && /ErrImagePull|ImagePullBackOff|InvalidImageName/.test(waiting.reason))
    return `rank ${rankOf(pod)}: ${waiting.reason}: ${waiting.message ?? ''}`.trim();
  return undefined;
}

/** The reason for a failed training: the deadline, else the first failed container, else the Job's condition. */
export function failureReason(jobs: KubeObject[], pods: KubeObject[]): string {
  const conditions = jobs.map(failedCondition).filter((c) => c !== undefined);
  const waiting = pods.map((p) => unschedulable(p) ?? pullFailure(p)).find(Boolean);
  const deadline = conditions.find((c) => c.reason === 'DeadlineExceeded');
  // Past the deadline the pods were killed: their exit codes are the effect, not the cause.
  if (deadline)
    return `deadline: ${deadline.message ?? 'the Job ran past its deadline'}${waiting ? ` (${waiting})` : ''}`;
  for (const pod of pods) {
    const t = terminatedOf(pod);
    if (!t || t.exitCode === 0) continue;
    if (t.reason === 'OOMKilled')
      return `rank ${rankOf(pod)}: OOMKilled (exit code ${t.exitCode ?? 137}): over its memory limit`;
    return `rank ${rankOf(pod)}: exit code ${t.exitCode}${t.reason && t.reason !== 'Error' ? ` (${t.reason})` : ''}`;
  }
  if (waiting) return waiting;
  const failed = conditions[0];
  if (failed) return `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim();
  return 'the Job failed without a reason the cluster gave';
}

function failedCondition(job: KubeObject): { reason?: string; message?: string } | undefined {
  return (job.status?.conditions ?? []).find(
    (c: { type: string; status: string }) => c.type === 'Failed' && c.status === 'True',
  );
}
