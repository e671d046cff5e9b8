/**
 * Waiting for a Deployment's new pods, by watching it and its pods (two watches, resumed across
 * API server restarts), until the rollout is done, a pod shows a problem waiting cannot fix, or the
 * deadline passes. A progress line says ready/desired, elapsed and ETA while it waits.
 */
import { formatDuration } from '../../format/duration.ts';
import type { Kube } from '../client.ts';
import type { Deployment, Pod } from '../types.ts';
import { Informer, kubeSource } from '../watch.ts';
import { type Diagnosis, diagnosePods } from './diagnose.ts';
import { type Progress, rolloutProgress } from './progress.ts';

export interface WaitFor {
  namespace: string;
  deployment: string;
  /** Label selector of the Deployment's pods. */
  pods: string;
  /** Pods running this image are the new ones. */
  image: string;
  deadlineMs: number;
  signal: AbortSignal;
  progress: (line: string) => void;
  /** How often the progress line is written while nothing else happens. */
  tickMs?: number;
}

export interface Waited {
  ready: boolean;
  progress: Progress;
  ms: number;
  /** Why it is not ready: a pod's problem, the controller's deadline, or ours. */
  reason?: string;
  diagnosis?: Diagnosis;
}

export function waitForRollout(kube: Kube, w: WaitFor): Promise<Waited> {
  const started = Date.now();
  const stop = new AbortController();
  let progress: Progress = { desired: 0, updated: 0, ready: 0, available: 0, old: 0, done: false };
  return new Promise<Waited>((resolve, reject) => {
    const finish = (out: Waited | Error) => {
      if (stop.signal.aborted) return;
      stop.abort();
      clearInterval(ticker);
      clearTimeout(deadline);
      w.signal.removeEventListener('abort', cancelled);
      if (out instanceof Error) reject(out);
      else resolve(out);
    };
    const newPods = () =>
      pods
        .items()
        .filter(
          (p) => p.spec?.containers?.some((c) => c.image === w.image) && !p.metadata?.deletionTimestamp,
        );
    let outageSaid = false;
    const check = () => {
      // An outage is said as it begins, not at the next tick: a short one could fall between two.
      const outage = deployment.outage ?? pods.outage;
      if (outage && !outageSaid) report();
      outageSaid = outage !== undefined;
      const d = deployment.items()[0];
      if (!d || stop.signal.aborted) return;
      progress = rolloutProgress(d);
      const ms = Date.now() - started;
      if (progress.done) return finish({ ready: true, progress, ms });
      const diagnosis = diagnosePods(newPods());
      if (progress.failed)
        return finish({
          ready: false,
          progress,
          ms,
          reason: progress.failed,
          ...(diagnosis && { diagnosis }),
        });
      if (diagnosis?.fatal)
        return finish({ ready: false, progress, ms, reason: diagnosis.reason, diagnosis });
    };
    const deployment = new Informer<Deployment>(
      kubeSource(kube, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: w.namespace,
        fields: `metadata.name=${w.deployment}`,
      }),
      check,
    );
    const pods = new Informer<Pod>(
      kubeSource(kube, { apiVersion: 'v1', kind: 'Pod', namespace: w.namespace, labels: w.pods }),
      check,
    );
    const report = () => {
      const elapsed = Date.now() - started;
      const waiting = diagnosePods(newPods());
      const outage = deployment.outage ?? pods.outage;
      w.progress(
        `${w.deployment}: ${progress.ready}/${progress.desired} ready (${progress.updated} updated, ${progress.old} old), ${formatDuration(elapsed)} elapsed, ${etaOf(progress, elapsed)}` +
          (waiting ? `; waiting: ${waiting.reason}: ${waiting.message}` : '') +
          (outage ? `; API server unreachable, reconnecting (${outage.message})` : ''),
      );
    };
    const ticker = setInterval(report, w.tickMs ?? 5000);
    const deadline = setTimeout(() => {
      const diagnosis = diagnosePods(newPods());
      finish({
        ready: false,
        progress,
        ms: Date.now() - started,
        reason: `not ready within the progress deadline of ${formatDuration(w.deadlineMs)}`,
        ...(diagnosis && { diagnosis }),
      });
    }, w.deadlineMs);
    const cancelled = () =>
      finish(w.signal.reason instanceof Error ? w.signal.reason : new Error('cancelled'));
    if (w.signal.aborted) return cancelled();
    w.signal.addEventListener('abort', cancelled, { once: true });
    for (const informer of [deployment, pods])
      informer.run(stop.signal).catch((e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
  });
}

/** From the pace so far: ready pods per second since the wait began. */
function etaOf(p: Progress, elapsedMs: number): string {
  if (p.ready === 0 || p.ready >= p.desired) return 'ETA unknown';
  return `ETA ~${formatDuration((elapsedMs / p.ready) * (p.desired - p.ready))}`;
}
