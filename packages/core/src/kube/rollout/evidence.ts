/**
 * What a failed rollout's verdict quotes besides the pod's status: for a crash, the container's
 * last log lines (of the run that crashed); for a pull failure, the registry's answer as the
 * kubelet's events recorded it. Best effort: failing to read them never hides the verdict.
 */
import type { Kube } from '../client.ts';
import type { KubeEvent } from '../types.ts';
import type { Diagnosis } from './diagnose.ts';
import { oneLine } from './diagnose.ts';

const LOG_LINES = 10;

/** The events that explain this failure, not the node's general complaints (e.g. MissingClusterDNS). */
function relevant(d: Diagnosis, e: KubeEvent): boolean {
  if (d.reason === 'Unschedulable') return e.reason === 'FailedScheduling';
  if (/Pull|Image/.test(d.reason)) return e.reason === 'Failed' || e.reason === 'BackOff';
  return e.reason !== 'MissingClusterDNS';
}

export async function evidenceFor(kube: Kube, namespace: string, d: Diagnosis): Promise<string[]> {
  try {
    if (d.reason === 'CrashLoopBackOff' && d.container) {
      const log = await kube.logs(namespace, d.pod, d.container, LOG_LINES, true);
      return log
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-LOG_LINES);
    }
    const events = await kube.list<KubeEvent>('v1', 'Event', namespace, {
      fields: `involvedObject.kind=Pod,involvedObject.name=${d.pod}`,
    });
    return events.items
      .filter((e) => e.type === 'Warning' && relevant(d, e))
      .map((e) => `${e.reason}: ${oneLine(e.message ?? '')}`)
      .filter((line, i, all) => all.indexOf(line) === i)
      .slice(-5);
  } catch {
    return [];
  }
}
