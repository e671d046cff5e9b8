/**
 * What serves an app now, read from the cluster rather than the record (the record says what was
 * meant; the cluster what is): the Deployment behind the app's Service, a canary beside it, and a
 * spare that already runs a version — blue-green's other slot, or the copy keep-previous leaves up.
 */
import type { Kube } from '../client.ts';
import { SLOT_LABEL } from '../rollout/blue-green.ts';
import { imageOf } from '../rollout/strategy.ts';
import { readRoute } from '../traffic/gateway-api.ts';
import type { KubeObject } from '../types.ts';
import { WARM_LABEL, warmName } from './warm.ts';

export type Slot = 'blue' | 'green';

export interface Live {
  service: KubeObject | undefined;
  /** Set when the app is laid out blue-green: the slot its Service selects. */
  slot: Slot | undefined;
  /** The Deployment the Service sends traffic to (the stable one, or the active slot). */
  active: KubeObject | undefined;
  /** `<app>-canary`, when it exists. */
  canary: KubeObject | undefined;
  /** A Deployment that may already run the target: the idle slot, or keep-previous's copy. */
  spare: KubeObject | undefined;
  /** gateway-api: the app's HTTPRoute and the Service of its stable track. */
  route: KubeObject | undefined;
  stableService: KubeObject | undefined;
}

export const otherSlot = (s: Slot): Slot => (s === 'blue' ? 'green' : 'blue');

export async function readLive(kube: Kube, namespace: string, app: string): Promise<Live> {
  const get = (kind: string, name: string, apiVersion = kind === 'Service' ? 'v1' : 'apps/v1') =>
    kube.get<KubeObject>(apiVersion, kind, namespace, name);
  const service = await get('Service', app);
  const s = service?.spec?.selector?.[SLOT_LABEL];
  const slot: Slot | undefined = s === 'blue' || s === 'green' ? s : undefined;
  const active = await get('Deployment', slot ? `${app}-${slot}` : app);
  const spare = await get('Deployment', slot ? `${app}-${otherSlot(slot)}` : warmName(app));
  const canary = slot ? undefined : await get('Deployment', `${app}-canary`);
  const stableService = slot ? undefined : await get('Service', `${app}-stable`);
  const route = stableService ? await routeOf(kube, namespace, app) : undefined;
  return { service, slot, active, canary, spare, route, stableService };
}

/** The HTTPRoute, or undefined where there is none, no Gateway API, or it cannot be read now. */
async function routeOf(kube: Kube, namespace: string, app: string): Promise<KubeObject | undefined> {
  try {
    return await readRoute(kube, namespace, app);
  } catch {
    return undefined;
  }
}

/** Pods behind the Service get requests: a canary with replicas serves, as does a warm copy it selects. */
export function servingImages(live: Live): string[] {
  const images = new Set<string>();
  const warmSelected = live.service?.spec?.selector?.[WARM_LABEL] !== undefined;
  const main = warmSelected ? live.spare : live.active;
  const image = imageOf(main);
  if (image && (main?.spec?.replicas ?? 0) > 0) images.add(image);
  const canary = imageOf(live.canary);
  if (canary && (live.canary?.spec?.replicas ?? 0) > 0) images.add(canary);
  return [...images];
}

/** Every pod asked for is up, ready and on the current template: it can take all traffic now. */
export function isWarm(d: KubeObject | undefined, image: string): boolean {
  const want = d?.spec?.replicas ?? 0;
  const s = d?.status ?? {};
  return (
    imageOf(d) === image &&
    want > 0 &&
    (s.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 1) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.readyReplicas ?? 0) >= want
  );
}

const SERVER_ALLOCATED = ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'healthCheckNodePort'];

/** The object as one would apply it again: without what the server fills in. */
export function desired<T extends KubeObject>(o: T): T {
  const d = structuredClone(o);
  const m = d.metadata ?? {};
  d.metadata = {
    name: m.name,
    namespace: m.namespace,
    ...(m.labels && { labels: m.labels }),
    ...(m.annotations && { annotations: m.annotations }),
  };
  delete d.status;
  // The controller's own bookkeeping: stated by us, it would be ours, and stale.
  if (d.metadata.annotations) delete d.metadata.annotations['deployment.kubernetes.io/revision'];
  if (d.spec?.template?.metadata) delete d.spec.template.metadata.creationTimestamp;
  // What the server allocated stays the server's: stated here it would become ours, and the next
  // deploy's apply, which leaves it out, would ask to unset an address that cannot change.
  if (d.kind === 'Service') for (const f of SERVER_ALLOCATED) delete d.spec?.[f];
  return d;
}
