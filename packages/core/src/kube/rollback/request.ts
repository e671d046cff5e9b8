/**
 * A rollback that finds a rollout of the same app in progress asks it to stop, then waits for its
 * Lease: one rollout at a time still holds, and the rollout, which knows what it changed, puts
 * traffic back on its stable version itself. The ask is a ConfigMap beside the app
 * (`<app>-modelship-rollback`), not a change to the Lease, so the holder's renewals never conflict
 * with it. A running deploy watches for it (watchRollbackRequest) and stops as if cancelled; an ask
 * left behind by a rollback that was killed is ignored once it is older than any rollback waits.
 */
import { CancelledError } from '../../cancel.ts';
import type { Logger } from '../../platform/port.ts';
import type { Kube } from '../client.ts';
import { KubeError } from '../errors.ts';
import type { KubeObject } from '../types.ts';
import { Informer, kubeSource } from '../watch.ts';

export const requestName = (app: string) => `${app}-modelship-rollback`;

/** Longer than a rollback waits for a Lease (its lock-timeout is at most this). */
export const REQUEST_TTL_MS = 10 * 60_000;

/** A rollout's signal aborts with this when a rollback asked it to stop. */
export class RollbackRequested extends CancelledError {
  override name = 'RollbackRequested';
  readonly by: string;
  constructor(by: string, reason: string) {
    super('SIGTERM');
    this.by = by;
    this.message = `stopped for a rollback by ${by}${reason ? ` (${reason})` : ''}`;
  }
}

export const rollbackRequestOf = (signal: AbortSignal): RollbackRequested | undefined =>
  signal.aborted && signal.reason instanceof RollbackRequested ? signal.reason : undefined;

export async function askToStop(
  kube: Kube,
  o: { namespace: string; app: string; by: string; reason: string },
): Promise<void> {
  try {
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: requestName(o.app),
        namespace: o.namespace,
        labels: { 'app.kubernetes.io/name': o.app, 'app.kubernetes.io/managed-by': 'modelship' },
      },
      data: { by: o.by, reason: o.reason, at: new Date().toISOString() },
    });
  } catch (e) {
    if (!(e instanceof KubeError && e.status === 409)) throw e; // asked already
  }
}

export async function withdrawRequest(kube: Kube, namespace: string, app: string): Promise<void> {
  await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: requestName(app), namespace } });
}

/**
 * For a running rollout: a signal that aborts with RollbackRequested once a rollback asks, or with
 * the step's own cancellation. A watch that fails only logs: it must never stop a healthy rollout.
 */
export function watchRollbackRequest(
  kube: Kube,
  o: { namespace: string; app: string; signal: AbortSignal; log: Logger },
): { signal: AbortSignal; stop(): void } {
  const asked = new AbortController();
  const stop = new AbortController();
  const informer: Informer<KubeObject> = new Informer(
    kubeSource(kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: o.namespace,
      fields: `metadata.name=${requestName(o.app)}`,
    }),
    () => {
      const cm = informer.items()[0];
      if (!cm || asked.signal.aborted) return;
      const at = Date.parse(String(cm.data?.at ?? ''));
      if (Date.now() - at > REQUEST_TTL_MS) return;
      o.log.warn(`a rollback by ${cm.data?.by ?? 'someone'} asked this rollout to stop: aborting it`);
      asked.abort(new RollbackRequested(cm.data?.by ?? 'someone', cm.data?.reason ?? ''));
    },
  );
  informer
    .run(stop.signal)
    .catch((e: unknown) => o.log.warn(`cannot watch for rollback requests: ${(e as Error).message}`));
  return {
    signal: AbortSignal.any([o.signal, asked.signal]),
    stop: () => stop.abort(),
  };
}
