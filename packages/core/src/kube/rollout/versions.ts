/**
 * versions: several versions of a model live at once, each its own Deployment (`<app>-<name>`,
 * its pods labelled `modelship.dev/version: <name>`) and Service (`<app>-<name>`), behind one
 * route. `versions: v7=80, v8=20` lists the versions to keep live and their shares of traffic;
 * every name but one must already run (a Deployment from an earlier deploy of this strategy), and
 * that one is this deploy's image. When all run already, the one named by the image's tag takes it.
 *
 * The route: `gateway-api` splits by exact HTTPRoute weights, and a rule per version matching the
 * header `x-model-version: <name>` lets a request pick its version. `replicas` approximates the
 * shares by pod counts behind the app's Service (which selects every version's pods); a request
 * picks a version there through its own Service. Pods per version, from `replicas`:
 *
 *   replicas router: round(replicas × weight / 100), at least 1 for a weight above 0;
 *   gateway-api:     ceil(replicas × weight / 100), at least 1 for a weight above 0 (the route sets the share);
 *   weight 0:        0 pods (the version stays defined, so a later deploy can give it a share again).
 *
 * Order: the new version comes up first (its failure scales it to zero and changes nothing else),
 * then the others are scaled up to their counts, then the route changes, then versions left out
 * (and the app's single Deployment, and a canary) are scaled to zero.
 */
import { InputError } from '../../errors.ts';
import type { Kube } from '../client.ts';
import { appRoute, readRoute, versionsRoute } from '../traffic/gateway-api.ts';
import { TRACK_LABEL } from '../traffic/router.ts';
import type { Deployment, KubeObject } from '../types.ts';
import { rolling } from './rolling.ts';
import { imageOf, type RolloutContext, type RolloutOutcome, type Strategy, selectorOf } from './strategy.ts';
import { countsOf, reasonOf, Timeline } from './timeline.ts';
import { waitForRollout } from './wait.ts';

export const VERSION_LABEL = 'modelship.dev/version';

export interface VersionWeight {
  name: string;
  weight: number;
}

/** `v7=80, v8=20`: DNS-label names, whole-number weights that add up to 100. */
export function parseVersions(list: readonly string[], input: string): VersionWeight[] {
  const bad = (what: string) =>
    new InputError(what, {
      where: { path: input },
      fix: 'Write versions like: v7=80, v8=20 (weights add up to 100).',
    });
  const out: VersionWeight[] = [];
  for (const text of list) {
    const m = /^\s*([a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?)\s*=\s*(\d{1,3})\s*%?\s*$/.exec(text);
    if (!m)
      throw bad(`'${text}' is not name=weight (a name of lower-case letters, digits and -, a weight 0–100)`);
    const v = { name: m[1]!, weight: Number(m[3]) };
    if (out.some((o) => o.name === v.name)) throw bad(`version ${v.name} is listed twice`);
    out.push(v);
  }
  if (!out.length) throw bad('strategy versions needs the versions to keep live');
  const sum = out.reduce((a, v) => a + v.weight, 0);
  if (sum !== 100) throw bad(`the weights add up to ${sum}, not 100`);
  return out;
}

/** Pods a version runs for its share (the rounding rule above). */
export function podsFor(replicas: number, weight: number, exact: boolean): number {
  if (weight <= 0) return 0;
  const pods = (replicas * weight) / 100;
  return Math.max(1, exact ? Math.ceil(pods) : Math.round(pods));
}

/** The versions running now, by name. */
async function liveVersions(kube: Kube, namespace: string, deployment: KubeObject) {
  const app = selectorOf(deployment);
  const list = await kube.list<Deployment>('apps/v1', 'Deployment', namespace, {
    labels: `${app},${VERSION_LABEL}`,
  });
  return new Map(list.items.map((d) => [d.metadata?.labels?.[VERSION_LABEL] ?? '', d as KubeObject]));
}

/** Which listed version this deploy's image is: the one not running yet, else the one its tag names. */
export function versionOfImage(
  list: VersionWeight[],
  live: ReadonlySet<string>,
  tag: string,
  input: string,
): string {
  const fresh = list.filter((v) => !live.has(v.name)).map((v) => v.name);
  if (fresh.length === 1) return fresh[0]!;
  if (fresh.length > 1)
    throw new InputError(
      `versions ${fresh.join(' and ')} are not running, and one deploy brings up one version`,
      {
        where: { path: input },
        fix: `Deploy them one at a time, each listing only the versions already running (${[...live].join(', ') || 'none'}) and itself.`,
      },
    );
  if (list.some((v) => v.name === tag)) return tag;
  throw new InputError(`every version listed runs already, and none is named ${tag} (the image's tag)`, {
    where: { path: input },
    fix: 'List the new version under a new name, or pass the image with the tag of the version it replaces.',
  });
}

/** The app's Deployment as version `name`: its own name, the version in its selector and pods. */
export function asVersion(deployment: KubeObject, name: string, replicas: number): KubeObject {
  const d = structuredClone(deployment);
  // The label on the Deployment itself is how a later deploy finds the versions running.
  const own: Record<string, string> = { ...d.metadata?.labels, [VERSION_LABEL]: name };
  delete own[TRACK_LABEL];
  d.metadata = { ...d.metadata, name: `${d.metadata?.name}-${name}`, labels: own };
  d.spec.replicas = replicas;
  d.spec.selector = { matchLabels: { ...d.spec.selector?.matchLabels, [VERSION_LABEL]: name } };
  const labels = { ...d.spec.template.metadata?.labels, [VERSION_LABEL]: name };
  // Not a canary's stable track: the canary routers must not count these pods as theirs.
  delete labels[TRACK_LABEL];
  d.spec.template.metadata.labels = labels;
  return d;
}

/** Version `name`'s own Service: a request can always pick it there. */
export function versionService(service: KubeObject, app: string, name: string): KubeObject {
  const s = structuredClone(service);
  s.metadata = { ...s.metadata, name: `${app}-${name}` };
  s.spec.selector = { ...s.spec.selector, [VERSION_LABEL]: name };
  s.spec.type = 'ClusterIP';
  for (const p of s.spec.ports ?? []) delete p.nodePort;
  return s;
}

const replicasOf = (ctx: RolloutContext) => (ctx.deployment.spec?.replicas as number | undefined) ?? 1;

export const versions: Strategy = {
  current: rolling.current,

  async run(ctx) {
    const plan = ctx.versions!;
    const timeline = new Timeline();
    const exact = plan.traffic === 'gateway-api';
    const live = await liveVersions(ctx.kube, ctx.namespace, ctx.deployment);
    const mine = versionOfImage(plan.list, new Set(live.keys()), plan.tag, plan.input);
    const share = (name: string) => plan.list.find((v) => v.name === name)!.weight;
    for (const v of plan.list) await ctx.kube.apply(versionService(ctx.service, ctx.app, v.name));
    await ctx.kube.apply(ctx.service);
    const next = asVersion(ctx.deployment, mine, podsFor(replicasOf(ctx), share(mine), exact));
    const before = live.get(mine);
    await ctx.kube.apply(next);
    const failed = await ready(ctx, next, ctx.image, timeline, `${mine} (this image)`, share(mine));
    if (failed) {
      // Back to what it was: the version's previous template and count, or nothing when it is new.
      await ctx.kube.apply(
        before
          ? { ...next, spec: { ...next.spec, ...before.spec } }
          : { ...next, spec: { ...next.spec, replicas: 0 } },
      );
      timeline.done(
        'abort',
        'done',
        before ? `${mine} back to its previous image` : `${mine} scaled to zero`,
        0,
      );
      return failed;
    }
    for (const v of plan.list.filter((x) => x.name !== mine)) {
      const d = live.get(v.name)!;
      const pods = podsFor(replicasOf(ctx), v.weight, exact);
      if ((d.spec?.replicas ?? 0) >= pods) continue;
      await ctx.kube.scale(ctx.namespace, 'Deployment', d.metadata!.name!, pods);
      const notReady = await ready(ctx, d, imageOf(d) ?? '', timeline, v.name, v.weight);
      if (notReady) return notReady;
    }
    if (exact) await ctx.kube.apply(versionsRoute(ctx, plan.list, plan.gateway));
    const split = plan.list.map((v) => `${v.name}=${v.weight}`).join(', ');
    timeline.done(
      'route',
      'done',
      `${exact ? 'HTTPRoute' : 'pods behind Service'} ${ctx.app}: ${split}`,
      share(mine),
    );
    await scaleDown(ctx, plan.list, live, exact, timeline, share(mine));
    return { status: 'promoted', steps: timeline.steps };
  },
};

/**
 * After another strategy promoted: every version's Deployment still running is scaled to zero,
 * kept defined (a later versions deploy can give it a share again), since the app's Service
 * selects its pods too.
 */
export async function retireVersions(ctx: RolloutContext, timeline: Timeline): Promise<void> {
  const live = await liveVersions(ctx.kube, ctx.namespace, ctx.deployment);
  const up = [...live.values()].filter((d) => d.spec?.replicas).map((d) => d.metadata!.name!);
  for (const name of up) await ctx.kube.scale(ctx.namespace, 'Deployment', name, 0);
  if (up.length)
    timeline.done('retire', 'done', `${up.join(', ')} (from an earlier versions deploy) scaled to zero`, 100);
  if (live.size) await repointRoute(ctx, [...live.keys()], timeline);
}

/**
 * The versions' HTTPRoute would go on sending the gateway's requests to their Services, which have
 * no pods once the versions are retired: it is pointed at the app's Service instead, which selects
 * what this deploy promoted. A route that names any other backend is not the versions' (a canary's
 * tracks, the app's Service already) and is left as it is.
 */
async function repointRoute(ctx: RolloutContext, versions: string[], timeline: Timeline): Promise<void> {
  const route = await readRoute(ctx.kube, ctx.namespace, ctx.app);
  const services = new Set(versions.map((v) => `${ctx.app}-${v}`));
  const backends: { name?: string }[] = (route?.spec?.rules ?? []).flatMap(
    (r: { backendRefs?: { name?: string }[] }) => r.backendRefs ?? [],
  );
  if (!backends.length || !backends.every((b) => b.name && services.has(b.name))) return;
  await ctx.kube.apply(appRoute(ctx, route!.spec.parentRefs ?? []));
  const detail = `HTTPRoute ${ctx.app} sends to Service ${ctx.app} (it sent to the retired versions)`;
  timeline.done('retire', 'done', detail, 100);
}

/** Waits for a version's pods; the outcome to return when they never become ready. */
async function ready(
  ctx: RolloutContext,
  d: KubeObject,
  image: string,
  timeline: Timeline,
  label: string,
  weight: number,
): Promise<RolloutOutcome | undefined> {
  const waited = await waitForRollout(ctx.kube, {
    namespace: ctx.namespace,
    deployment: d.metadata!.name!,
    pods: selectorOf(d),
    image,
    deadlineMs: ctx.deadlineMs,
    signal: ctx.signal,
    progress: (line) => ctx.log.progress(line),
  });
  if (waited.ready) {
    timeline.done(label, 'done', countsOf(waited), weight);
    return undefined;
  }
  const reason = reasonOf(waited);
  timeline.done(label, 'failed', `${countsOf(waited)}; ${reason}`, weight);
  return {
    status: 'aborted',
    steps: timeline.steps,
    reason,
    ...(waited.diagnosis && { diagnosis: waited.diagnosis }),
  };
}

/** Listed versions down to their counts, the rest (the app's single Deployment and a canary too) to zero. */
async function scaleDown(
  ctx: RolloutContext,
  list: VersionWeight[],
  live: Map<string, KubeObject>,
  exact: boolean,
  timeline: Timeline,
  weight: number,
): Promise<void> {
  const targets = new Map<string, number>();
  for (const [name, d] of live) {
    const listed = list.find((v) => v.name === name);
    targets.set(d.metadata!.name!, listed ? podsFor(replicasOf(ctx), listed.weight, exact) : 0);
  }
  for (const other of [ctx.app, `${ctx.app}-canary`]) {
    const d = await ctx.kube.get<KubeObject>('apps/v1', 'Deployment', ctx.namespace, other);
    if (d?.spec?.replicas) targets.set(other, 0);
  }
  const gone: string[] = [];
  for (const [name, pods] of targets) {
    const d = [...live.values()].find((x) => x.metadata?.name === name);
    if (d && (d.spec?.replicas ?? 0) <= pods) continue;
    await ctx.kube.scale(ctx.namespace, 'Deployment', name, pods);
    if (pods === 0) gone.push(name);
  }
  if (gone.length) timeline.done('scale-down', 'done', `${gone.join(', ')} scaled to zero`, weight);
}
