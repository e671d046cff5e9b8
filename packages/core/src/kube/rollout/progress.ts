/**
 * Where a Deployment's rollout stands, read as `kubectl rollout status` reads it: the controller
 * has seen the latest spec (observedGeneration), every pod runs the new template (updated), the
 * old pods are gone, and every new pod is available. The controller's own ProgressDeadlineExceeded
 * is a failure.
 */
import type { Condition, Deployment } from '../types.ts';

export interface Progress {
  desired: number;
  updated: number;
  ready: number;
  available: number;
  /** Pods still running the previous template. */
  old: number;
  done: boolean;
  /** Set when the controller gave up (progress deadline). */
  failed?: string;
}

export function rolloutProgress(d: Deployment): Progress {
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const seen = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
  const updated = seen ? (s.updatedReplicas ?? 0) : 0;
  const total = s.replicas ?? 0;
  const available = seen ? Math.min(s.availableReplicas ?? 0, updated) : 0;
  const ready = seen ? Math.min(s.readyReplicas ?? 0, updated) : 0;
  const progressing = conditionOf(s.conditions, 'Progressing');
  const p: Progress = {
    desired,
    updated,
    ready,
    available,
    old: Math.max(0, total - updated),
    done: seen && updated >= desired && total <= updated && available >= desired,
  };
  if (seen && progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
    p.failed = progressing.message ?? 'the Deployment exceeded its progress deadline';
  return p;
}

export function conditionOf(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
