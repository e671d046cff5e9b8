/**
 * One rollout at a time per app: a coordination.k8s.io Lease (`<app>-modelship-rollout`) held
 * for the whole rollout and renewed while it runs. A second deploy of the same app waits for it
 * (bounded, saying who holds it), never interleaves; a holder that died without releasing (a
 * killed runner) loses the Lease once it has not been renewed for its duration.
 */
import { sleep } from '../net/retry.ts';
import type { Logger } from '../platform/port.ts';
import type { Kube } from './client.ts';
import { KubeError } from './errors.ts';
import type { KubeObject } from './types.ts';

const DURATION_S = 30;
const RENEW_MS = 10_000;
const POLL_MS = 2000;

export const leaseName = (app: string) => `${app}-modelship-rollout`;

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export interface Held {
  /** Stops renewing and deletes the Lease. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  namespace: string;
  app: string;
  holder: string;
  waitMs: number;
  signal: AbortSignal;
  log: Logger;
  /** How often the held Lease is renewed; default 10 s, a third of its duration. */
  renewMs?: number;
}

export async function acquireRollout(kube: Kube, o: LeaseOptions): Promise<Held> {
  const started = Date.now();
  let said = false;
  for (;;) {
    // Released Leases are deleted, so usually there is none: create it first, read it only on a conflict.
    const created = await tryTake(kube, o, undefined);
    if (created) return hold(kube, o, created);
    const lease = await kube.get<KubeObject>(
      'coordination.k8s.io/v1',
      'Lease',
      o.namespace,
      leaseName(o.app),
    );
    if (!lease) continue; // released between the two calls
    const taken = await tryTake(kube, o, lease);
    if (taken) return hold(kube, o, taken);
    const holder = lease.spec?.holderIdentity ?? 'another deploy';
    if (Date.now() - started >= o.waitMs)
      throw new KubeError(
        `another rollout of ${o.app} is in progress (held by ${holder}) and did not end within ${Math.round(o.waitMs / 1000)}s`,
        409,
        'Run the step again once it has finished, or raise lock-timeout.',
      );
    if (!said) o.log.info(`waiting for the rollout of ${o.app} held by ${holder} to finish`);
    said = true;
    await sleep(POLL_MS, o.signal);
  }
}

/** The Lease as ours, or undefined when someone else holds it (or took it first). */
async function tryTake(
  kube: Kube,
  o: { namespace: string; app: string; holder: string },
  lease: KubeObject | undefined,
): Promise<KubeObject | undefined> {
  const now = Date.now();
  const spec = {
    holderIdentity: o.holder,
    leaseDurationSeconds: DURATION_S,
    acquireTime: microTime(now),
    renewTime: microTime(now),
  };
  try {
    if (!lease)
      return await kube.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: leaseName(o.app), namespace: o.namespace },
        spec,
      });
    const renewed = Date.parse(String(lease.spec?.renewTime ?? 0));
    const expired = now - renewed > (lease.spec?.leaseDurationSeconds ?? DURATION_S) * 1000;
    if (!expired && lease.spec?.holderIdentity !== o.holder) return undefined;
    return await kube.replace({ ...lease, spec });
  } catch (e) {
    if (e instanceof KubeError && e.status === 409) return undefined; // someone was quicker
    throw e;
  }
}

function hold(kube: Kube, o: LeaseOptions, taken: KubeObject): Held {
  let lease: KubeObject | undefined = taken;
  const renewed = (l: KubeObject) => ({ ...l, spec: { ...l.spec, renewTime: microTime(Date.now()) } });
  const renew = async (held: KubeObject) => {
    let copy = held;
    for (let tries = 1; ; tries++) {
      try {
        lease = await kube.replace(renewed(copy));
        return;
      } catch (e) {
        if (!(e instanceof KubeError && e.status === 409) || tries === 3) throw e;
      }
      // A renewal can land and lose its answer (the API server went away mid-request): the copy
      // here is then stale, and every later renewal would conflict until the Lease expired under
      // a rollout still running. Renew the Lease as it is now, if it is still ours.
      const now = await kube.get<KubeObject>(
        'coordination.k8s.io/v1',
        'Lease',
        o.namespace,
        leaseName(o.app),
      );
      if (now?.spec?.holderIdentity !== o.holder) {
        // Someone took it once it expired: theirs now, neither renewed nor released by this run.
        lease = undefined;
        clearInterval(timer);
        o.log.warn(
          `lost the rollout lease of ${o.app} (${now ? `held by ${now.spec?.holderIdentity ?? 'nobody'} now` : 'deleted'}): another rollout of it may run beside this one`,
        );
        return;
      }
      copy = now;
    }
  };
  // One renewal at a time, and none left running once the Lease is released.
  let renewing: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (!lease || renewing) return;
    renewing = renew(lease)
      .catch((e: unknown) => o.log.warn(`could not renew the rollout lease: ${(e as Error).message}`))
      .finally(() => {
        renewing = undefined;
      });
  }, o.renewMs ?? RENEW_MS);
  return {
    async release() {
      clearInterval(timer);
      await renewing;
      if (!lease) return;
      await kube
        .delete(lease)
        .catch((e: unknown) => o.log.warn(`could not release the rollout lease: ${(e as Error).message}`));
    },
  };
}
