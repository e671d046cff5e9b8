/**
 * blue-green: the new version comes up beside the old one in the idle slot (`<app>-blue` or
 * `<app>-green`) behind a preview Service (`<app>-preview`), while the app's Service keeps
 * sending every request to the old one. Once every new pod is ready, the app's Service switches
 * to the new slot in one change. The old slot stays up for `scale-down-delay`, so going back is
 * one more switch, then is scaled to zero. On failure the new slot is scaled to zero and the
 * app's Service was never touched.
 */
import { cancellationOf } from '../../cancel.ts';
import { formatDuration } from '../../format/duration.ts';
import { sleep } from '../../net/retry.ts';
import type { Kube } from '../client.ts';
import { rollbackRequestOf } from '../rollback/request.ts';
import type { KubeObject } from '../types.ts';
import { CLEANUP_MS, type RolloutContext, type Strategy, selectorOf } from './strategy.ts';
import { countsOf, reasonOf, Timeline } from './timeline.ts';
import { waitForRollout } from './wait.ts';

export const SLOT_LABEL = 'modelship.dev/slot';
type Slot = 'blue' | 'green';

/** The slot the app's Service sends traffic to now, if it is laid out blue-green. */
async function activeSlot(kube: Kube, namespace: string, app: string): Promise<Slot | undefined> {
  const service = await kube.get<KubeObject>('v1', 'Service', namespace, app);
  const slot = service?.spec?.selector?.[SLOT_LABEL];
  return slot === 'blue' || slot === 'green' ? slot : undefined;
}

export const blueGreen: Strategy = {
  async current(kube, namespace, app) {
    const slot = await activeSlot(kube, namespace, app);
    // An app deployed with `rolling` before has one Deployment named after it.
    return kube.get('apps/v1', 'Deployment', namespace, slot ? `${app}-${slot}` : app);
  },

  async run(ctx) {
    const timeline = new Timeline();
    const from = await activeSlot(ctx.kube, ctx.namespace, ctx.app);
    const to: Slot = from === 'blue' ? 'green' : 'blue';
    const next = inSlot(ctx.deployment, to);
    const name = next.metadata!.name!;
    await ctx.kube.apply(next);
    await ctx.kube.apply(serviceFor(ctx.service, to, `${ctx.app}-preview`));
    timeline.done('preview', 'done', `${name} and Service ${ctx.app}-preview applied`, 0);
    if (!ctx.wait) return { status: 'applied', steps: timeline.steps };
    const abort = async () => {
      ctx.log.warn(
        `aborting: ${name} is scaled to zero; Service ${ctx.app} still sends every request to the previous version`,
      );
      await ctx.kube.scale(ctx.namespace, 'Deployment', name, 0);
      timeline.done('abort', 'done', `${name} scaled to zero`, 0);
    };
    try {
      const waited = await waitForRollout(ctx.kube, {
        namespace: ctx.namespace,
        deployment: name,
        pods: selectorOf(next),
        image: ctx.image,
        deadlineMs: ctx.deadlineMs,
        signal: ctx.signal,
        progress: (line) => ctx.log.progress(line),
      });
      if (!waited.ready) {
        const reason = reasonOf(waited);
        const diagnosis = waited.diagnosis && { diagnosis: waited.diagnosis };
        timeline.done('ready', 'failed', `${countsOf(waited)}; ${reason}`, 0);
        if (ctx.onFailure === 'pause')
          return { status: 'paused', steps: timeline.steps, reason, ...diagnosis };
        await abort();
        return { status: 'aborted', steps: timeline.steps, reason, ...diagnosis };
      }
      timeline.done('ready', 'done', `${countsOf(waited)} in ${name}`, 0);
    } catch (e) {
      const cancelled = cancellationOf(e, ctx.signal);
      if (!cancelled) throw e;
      timeline.done('ready', 'cancelled', cancelled.message, 0);
      ctx.kube.detach(CLEANUP_MS);
      await abort();
      return { status: 'cancelled', steps: timeline.steps, reason: cancelled.message };
    }
    await ctx.kube.apply(serviceFor(ctx.service, to, ctx.app));
    timeline.done('switch', 'done', `Service ${ctx.app} now selects ${to}`, 100);
    await scaleDownOld(ctx, from, timeline);
    return { status: 'promoted', steps: timeline.steps };
  },
};

/** The old slot (or an earlier rolling Deployment) after the delay; a cancellation only shortens the delay. */
async function scaleDownOld(ctx: RolloutContext, from: Slot | undefined, timeline: Timeline): Promise<void> {
  const old = from ? `${ctx.app}-${from}` : ctx.previous?.metadata?.name;
  if (!old) return;
  if (ctx.scaleDownDelayMs > 0) {
    ctx.log.info(
      `${old} stays up for ${formatDuration(ctx.scaleDownDelayMs)} (scale-down-delay), so going back is one switch`,
    );
    await sleep(ctx.scaleDownDelayMs, ctx.signal).catch(() => ctx.kube.detach(CLEANUP_MS));
  }
  // a rollback asked to go back while it was warm; it switches to it, so it stays up.
  if (rollbackRequestOf(ctx.signal)) {
    timeline.done('scale-down', 'skipped', `${old} left up: a rollback switches back to it`, 100);
    return;
  }
  await ctx.kube.scale(ctx.namespace, 'Deployment', old, 0);
  timeline.done('scale-down', 'done', `${old} scaled to zero`, 100);
}

/**
 * After another strategy promoted: the slots an earlier blue-green deploy left serving are scaled
 * to zero, since the app's Service (which no longer names a slot) would keep sending them requests.
 */
export async function retireSlots(ctx: RolloutContext, timeline: Timeline): Promise<void> {
  const names = [`${ctx.app}-blue`, `${ctx.app}-green`];
  const found = await Promise.all(
    names.map((name) => ctx.kube.get<KubeObject>('apps/v1', 'Deployment', ctx.namespace, name)),
  );
  for (const [i, name] of names.entries()) {
    if (!found[i]?.spec?.replicas) continue;
    await ctx.kube.scale(ctx.namespace, 'Deployment', name, 0);
    timeline.done('retire', 'done', `${name} (from an earlier blue-green deploy) scaled to zero`, 100);
  }
}

/** The app's Deployment as it runs in `slot`: its own name, and the slot in its selector and pods. */
export function inSlot(deployment: KubeObject, slot: Slot): KubeObject {
  const d = structuredClone(deployment);
  d.metadata = { ...d.metadata, name: `${d.metadata?.name}-${slot}` };
  d.spec.selector = { matchLabels: { ...d.spec.selector?.matchLabels, [SLOT_LABEL]: slot } };
  d.spec.template.metadata.labels = { ...d.spec.template.metadata?.labels, [SLOT_LABEL]: slot };
  return d;
}

/** A Service like the app's, named `name`, selecting only `slot`'s pods. */
export function serviceFor(service: KubeObject, slot: Slot, name: string): KubeObject {
  const s = structuredClone(service);
  s.metadata = { ...s.metadata, name };
  s.spec.selector = { ...s.spec.selector, [SLOT_LABEL]: slot };
  // A fixed node port belongs to the app's own Service; a second Service asking for it is refused.
  if (name !== service.metadata?.name) for (const p of s.spec.ports ?? []) delete p.nodePort;
  return s;
}
