/**
 * The two ways back. Warm: the target already runs, ready, in a spare Deployment (blue-green's
 * other slot, keep-previous's copy): one Service change sends every request there, then the rest is
 * tidied behind it. Cold: the target is deployed again by digest — without analysis, it was good —
 * and the rollback waits until it serves. Each write leaves the app serving one version or moving
 * towards one on the server's side (a Deployment's own rolling update), so a rollback cut off at
 * any point never leaves a traffic split behind for good.
 */
import type { Logger } from '../../platform/port.ts';
import type { Kube } from '../client.ts';
import { RELEASE_ANNOTATION } from '../release.ts';
import { inSlot, serviceFor } from '../rollout/blue-green.ts';
import type { Diagnosis } from '../rollout/diagnose.ts';
import { selectorOf } from '../rollout/strategy.ts';
import { countsOf, reasonOf, type Timeline } from '../rollout/timeline.ts';
import { waitForRollout } from '../rollout/wait.ts';
import type { KubeObject } from '../types.ts';
import { desired, isWarm, type Live, otherSlot } from './live.ts';
import { templateFor, withImage } from './template.ts';
import { templateFromWarm, WARM_LABEL, warmSelector } from './warm.ts';

export interface PathContext {
  kube: Kube;
  namespace: string;
  app: string;
  image: string;
  /** The `app.kubernetes.io/version` label of the target's pods. */
  versionLabel: string;
  /** The release annotation the objects carry once they serve the target. */
  annotation: string;
  live: Live;
  deadlineMs: number;
  wait: boolean;
  signal: AbortSignal;
  log: Logger;
  timeline: Timeline;
}

export interface PathResult {
  path: 'warm' | 'cold';
  status: 'rolled-back' | 'applied' | 'failed';
  /** Date.now() when every request reached ready pods of the target. */
  recoveredAt?: number;
  reason?: string;
  diagnosis?: Diagnosis;
}

export const canGoWarm = (live: Live, image: string) => isWarm(live.spare, image);

export async function goBack(ctx: PathContext): Promise<PathResult> {
  const warm = canGoWarm(ctx.live, ctx.image);
  if (ctx.live.slot) return warm ? warmSlot(ctx, ctx.live.slot) : coldSlot(ctx, ctx.live.slot);
  return warm ? warmCopy(ctx) : coldStable(ctx);
}

const annotated = <T extends KubeObject>(o: T, annotation: string): T => ({
  ...o,
  metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, [RELEASE_ANNOTATION]: annotation } },
});

/** blue-green, the other slot ready with the target: switch, then scale the current slot down. */
async function warmSlot(ctx: PathContext, from: 'blue' | 'green'): Promise<PathResult> {
  const to = otherSlot(from);
  await ctx.kube.apply(annotated(serviceFor(desired(ctx.live.service!), to, ctx.app), ctx.annotation));
  const recoveredAt = Date.now();
  ctx.timeline.done('switch', 'done', `Service ${ctx.app} now selects ${to}, already ready`, 100);
  await ctx.kube.scale(ctx.namespace, 'Deployment', `${ctx.app}-${from}`, 0);
  ctx.timeline.done('scale-down', 'done', `${ctx.app}-${from} scaled to zero`, 100);
  return { path: 'warm', status: 'rolled-back', recoveredAt };
}

/** blue-green, nothing warm: the target comes up in the idle slot, then the Service switches to it. */
async function coldSlot(ctx: PathContext, from: 'blue' | 'green'): Promise<PathResult> {
  const to = otherSlot(from);
  const active = ctx.live.active!;
  const base = ctx.live.spare ? desired(ctx.live.spare) : inSlotFrom(active, to, ctx.app);
  const next = annotated(withTarget(base, ctx), ctx.annotation);
  next.spec.replicas = active.spec?.replicas ?? 1;
  await ctx.kube.apply(next);
  ctx.timeline.done(
    'redeploy',
    'done',
    `${next.metadata?.name} runs ${ctx.image} again (no analysis: it was good)`,
    0,
  );
  if (!ctx.wait) return { path: 'cold', status: 'applied' };
  const waited = await waitFor(ctx, next);
  if (!waited.ok) return { path: 'cold', ...waited.failed };
  await ctx.kube.apply(annotated(serviceFor(desired(ctx.live.service!), to, ctx.app), ctx.annotation));
  const recoveredAt = Date.now();
  ctx.timeline.done('switch', 'done', `Service ${ctx.app} now selects ${to}`, 100);
  await ctx.kube.scale(ctx.namespace, 'Deployment', `${ctx.app}-${from}`, 0);
  ctx.timeline.done('scale-down', 'done', `${ctx.app}-${from} scaled to zero`, 100);
  return { path: 'cold', status: 'rolled-back', recoveredAt };
}

/**
 * keep-previous's copy is ready: the Services select it, the canary goes, and the app's own
 * Deployment gets the target's template back behind it before the Services return to it.
 */
async function warmCopy(ctx: PathContext): Promise<PathResult> {
  const { live, app } = ctx;
  const spare = live.spare!;
  const services = [live.service, live.stableService].filter((s): s is KubeObject => !!s);
  for (const s of services) await ctx.kube.apply(withSelector(s, warmSelector(app)));
  const recoveredAt = Date.now();
  ctx.timeline.done(
    'switch',
    'done',
    `Service ${app} now selects ${spare.metadata?.name}, already ready`,
    100,
  );
  await offCanary(ctx);
  const restored = annotated(desired(live.active!), ctx.annotation);
  restored.spec.template = templateFromWarm(spare, app);
  restored.spec.replicas = spare.spec?.replicas ?? 1;
  await ctx.kube.apply(restored);
  const waited = await waitFor(ctx, restored);
  if (!waited.ok) {
    // Traffic stays on the warm copy, which serves the target: the app is back, its Deployment is not.
    ctx.log.warn(
      `${app} serves ${ctx.image} from ${spare.metadata?.name}, but ${app} itself did not come back`,
    );
    return { path: 'warm', recoveredAt, ...waited.failed };
  }
  for (const s of services) await ctx.kube.apply(annotated(desired(s), ctx.annotation));
  await ctx.kube.scale(ctx.namespace, 'Deployment', spare.metadata!.name!, 0);
  ctx.timeline.done(
    'restore',
    'done',
    `${app} runs ${ctx.image} again; ${spare.metadata?.name} scaled to zero`,
    100,
  );
  return { path: 'warm', status: 'rolled-back', recoveredAt };
}

/** rolling or canary layout, nothing warm: the canary goes, the stable Deployment takes the target. */
async function coldStable(ctx: PathContext): Promise<PathResult> {
  const { live, app } = ctx;
  if (!live.active) throw new Error(`${app} has no Deployment to roll back`);
  const total = (live.active.spec?.replicas ?? 1) + (live.route ? 0 : (live.canary?.spec?.replicas ?? 0));
  await offCanary(ctx);
  const next = annotated(desired(live.active), ctx.annotation);
  next.spec.template = await templateFor(ctx.kube, live.active, ctx.image, ctx.versionLabel);
  next.spec.replicas = Math.max(total, 1);
  surgeAll(next);
  await ctx.kube.apply(next);
  ctx.timeline.done('redeploy', 'done', `${app} runs ${ctx.image} again (no analysis: it was good)`, 0);
  // A warm switch cut off before it finished leaves the Service on the copy: back to the app's pods.
  if (live.service && live.service.spec?.selector?.[WARM_LABEL] !== undefined)
    await ctx.kube.apply(annotated(normalService(live.service, app), ctx.annotation));
  if (!ctx.wait) return { path: 'cold', status: 'applied' };
  const waited = await waitFor(ctx, next);
  if (!waited.ok) return { path: 'cold', ...waited.failed };
  const recoveredAt = Date.now();
  ctx.timeline.done('ready', 'done', `${countsOf(waited.waited)} in ${app}`, 100);
  if (live.spare?.spec?.replicas)
    await ctx.kube.scale(ctx.namespace, 'Deployment', live.spare.metadata!.name!, 0);
  return { path: 'cold', status: 'rolled-back', recoveredAt };
}

/**
 * A rollback brings every pod of the good version up at once (maxSurge 100%) rather than a quarter at
 * a time: one wave of pod starts instead of several. Never fewer ready pods than before
 * (maxUnavailable 0), and where the cluster lacks room for both, the controller goes on as old pods
 * leave. The next deploy's manifests set the strategy back.
 */
function surgeAll(d: KubeObject): void {
  if (d.spec.strategy?.type === 'Recreate') return;
  d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } };
}

/** Every request off the canary: the route's weights back to stable, its pods to zero. */
async function offCanary(ctx: PathContext): Promise<void> {
  const { live } = ctx;
  if (live.route) {
    const route = desired(live.route);
    for (const rule of route.spec?.rules ?? [])
      for (const ref of rule.backendRefs ?? [])
        if (ref.weight !== undefined) ref.weight = ref.name === `${ctx.app}-canary` ? 0 : 100;
    await ctx.kube.apply(route);
  }
  if (live.canary?.spec?.replicas) {
    await ctx.kube.scale(ctx.namespace, 'Deployment', live.canary.metadata!.name!, 0);
    ctx.timeline.done('canary', 'done', `${live.canary.metadata?.name} scaled to zero`, 0);
  }
}

async function waitFor(ctx: PathContext, d: KubeObject) {
  const waited = await waitForRollout(ctx.kube, {
    namespace: ctx.namespace,
    deployment: d.metadata!.name!,
    pods: selectorOf(d),
    image: ctx.image,
    deadlineMs: ctx.deadlineMs,
    signal: ctx.signal,
    progress: (line) => ctx.log.progress(line),
  });
  if (waited.ready) return { ok: true as const, waited };
  const reason = reasonOf(waited);
  ctx.timeline.done('ready', 'failed', `${countsOf(waited)}; ${reason}`, 0);
  return {
    ok: false as const,
    failed: { status: 'failed' as const, reason, ...(waited.diagnosis && { diagnosis: waited.diagnosis }) },
  };
}

function withTarget(d: KubeObject, ctx: PathContext): KubeObject {
  const out = structuredClone(d);
  out.spec.template = withImage(out.spec.template, ctx.image, ctx.versionLabel);
  return out;
}

function withSelector(service: KubeObject, selector: Record<string, string>): KubeObject {
  const s = desired(service);
  s.spec.selector = selector;
  return s;
}

/** The app's Service selecting the app's own pods again. */
const normalService = (service: KubeObject, app: string) =>
  withSelector(service, { 'app.kubernetes.io/name': app });

function inSlotFrom(active: KubeObject, slot: 'blue' | 'green', app: string): KubeObject {
  const base = desired(active);
  base.metadata = { ...base.metadata, name: app };
  return inSlot(base, slot);
}
