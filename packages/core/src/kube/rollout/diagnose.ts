/**
 * Why new pods are not becoming ready, read from their status as the kubelet and scheduler wrote
 * it. Some reasons end a rollout at once, because waiting cannot fix them (an image that is not
 * there, a server that crashes on start); others only explain the wait (no node fits yet: a
 * cluster autoscaler may add one) and become the verdict at the deadline.
 */
import type { ContainerStatus, Pod } from '../types.ts';
import { conditionOf } from './progress.ts';

export interface Diagnosis {
  reason: string;
  pod: string;
  container?: string;
  /** What the cluster said, one line. */
  message: string;
  /** Waiting cannot fix it: the rollout fails now. */
  fatal: boolean;
}

/** Reasons a container waits with that no amount of waiting fixes. */
const FATAL_WAITING = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** The most telling problem among `pods`: a fatal one first, else the first reason to wait. */
export function diagnosePods(pods: Pod[]): Diagnosis | undefined {
  const found = pods.flatMap(problemsOf);
  return found.find((d) => d.fatal) ?? found[0];
}

function problemsOf(pod: Pod): Diagnosis[] {
  const name = pod.metadata?.name ?? '?';
  const out: Diagnosis[] = [];
  const scheduled = conditionOf(pod.status?.conditions, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
    out.push({
      reason: 'Unschedulable',
      pod: name,
      message: oneLine(scheduled.message ?? 'no node fits the pod'),
      fatal: false,
    });
  for (const c of pod.status?.containerStatuses ?? []) {
    const d = containerProblem(name, c);
    if (d) out.push(d);
  }
  return out;
}

function containerProblem(pod: string, c: ContainerStatus): Diagnosis | undefined {
  const waiting = c.state?.waiting;
  if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
    const pull = waiting.reason === 'ErrImagePull' || waiting.reason === 'ImagePullBackOff';
    const message = oneLine(waiting.message ?? waiting.reason);
    return {
      reason: waiting.reason,
      pod,
      container: c.name,
      message: pull ? pullMessage(message, c.image) : message,
      // A first failed pull may be a registry hiccup (the kubelet tries again), unless the registry said no outright.
      fatal: FATAL_WAITING.has(waiting.reason) || (pull && PULL_REFUSED.test(message)),
    };
  }
  // A server that crashed and is restarting now: it will be CrashLoopBackOff soon; one restart is not yet a verdict.
  const last = c.lastState?.terminated;
  if (!c.ready && last && (c.restartCount ?? 0) >= 2)
    return {
      reason: 'CrashLoopBackOff',
      pod,
      container: c.name,
      message: `exited ${last.exitCode ?? '?'} (${last.reason ?? 'Error'}) ${c.restartCount} times`,
      fatal: true,
    };
  return undefined;
}

const PULL_REFUSED = /not found|manifest unknown|unauthorized|denied|forbidden|401|403|404/i;

/**
 * containerd's pull errors repeat the reference three times ("failed to pull and unpack image
 * "X": failed to resolve reference "X": X: not found"); keep the image once and the registry's answer.
 */
export function pullMessage(message: string, image: string | undefined): string {
  const ref = /image "([^"]+)"/.exec(message)?.[1] ?? image ?? 'the image';
  if (/^Back-off pulling image/.test(message))
    return `cannot pull ${ref} (the kubelet is backing off after failed pulls)`;
  const answer = message.split(': ').pop()?.trim();
  return `cannot pull ${ref}: ${answer || message}`;
}

export const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
