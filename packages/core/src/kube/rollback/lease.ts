/**
 * A rollback takes the app's rollout Lease like a deploy, so the two never interleave; but where a
 * deploy waits its turn, a rollback asks the rollout in progress to stop (request.ts) and takes the
 * Lease as soon as that rollout has put traffic back and let go.
 */
import { sleep } from '../../net/retry.ts';
import type { Logger } from '../../platform/port.ts';
import type { Kube } from '../client.ts';
import { KubeError } from '../errors.ts';
import { acquireRollout, type Held, leaseName } from '../lease.ts';
import type { KubeObject } from '../types.ts';
import { askToStop, withdrawRequest } from './request.ts';

const POLL_MS = 250;

export interface Taken {
  held: Held;
  /** Who held the Lease and was asked to stop, when a rollout was in progress. */
  stopped: string | undefined;
}

export async function takeLease(
  kube: Kube,
  o: {
    namespace: string;
    app: string;
    holder: string;
    by: string;
    reason: string;
    waitMs: number;
    signal: AbortSignal;
    log: Logger;
  },
): Promise<Taken> {
  const started = Date.now();
  let stopped: string | undefined;
  try {
    for (;;) {
      try {
        return { held: await acquireRollout(kube, { ...o, waitMs: 0 }), stopped };
      } catch (e) {
        if (!(e instanceof KubeError && e.status === 409)) throw e;
      }
      if (!stopped) {
        const lease = await kube.get<KubeObject>(
          'coordination.k8s.io/v1',
          'Lease',
          o.namespace,
          leaseName(o.app),
        );
        stopped = String(lease?.spec?.holderIdentity ?? 'another rollout');
        o.log.warn(`a rollout of ${o.app} is in progress (${stopped}): asking it to stop first`);
        await askToStop(kube, o);
      }
      if (Date.now() - started >= o.waitMs)
        throw new KubeError(
          `the rollout of ${o.app} held by ${stopped} did not stop within ${Math.round(o.waitMs / 1000)}s of being asked to`,
          409,
          'An older modelship may not know how to stop for a rollback: cancel that job, or raise lock-timeout.',
        );
      await sleep(POLL_MS, o.signal);
    }
  } finally {
    if (stopped) await withdrawRequest(kube, o.namespace, o.app).catch(() => {});
  }
}
