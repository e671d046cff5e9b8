/**
 * rolling: the Deployment's own rolling update (never fewer ready pods than asked for), watched to
 * the end. On failure, `abort` puts the previous pod template back (the old pods never left, so
 * this is immediate) or, on a first deploy, scales the new one to zero; `pause` leaves it be.
 */
import { cancellationOf } from '../../cancel.ts';
import { RELEASE_ANNOTATION } from '../release.ts';
import type { KubeObject } from '../types.ts';
import { CLEANUP_MS, imageOf, type RolloutContext, type Strategy, selectorOf } from './strategy.ts';
import { countsOf, reasonOf, Timeline } from './timeline.ts';
import { waitForRollout } from './wait.ts';

export const rolling: Strategy = {
  current: (kube, namespace, app) => kube.get('apps/v1', 'Deployment', namespace, app),

  async run(ctx) {
    const timeline = new Timeline();
    const aborted = () =>
      timeline.done(
        'abort',
        'done',
        ctx.previous ? 'previous pod template restored' : 'first deploy scaled to zero',
        0,
      );
    await Promise.all([ctx.kube.apply(ctx.service), ctx.kube.apply(ctx.deployment)]);
    timeline.done('apply', 'done', 'Deployment and Service applied', 0);
    if (!ctx.wait) return { status: 'applied', steps: timeline.steps };
    try {
      const waited = await waitForRollout(ctx.kube, {
        namespace: ctx.namespace,
        deployment: ctx.app,
        pods: selectorOf(ctx.deployment),
        image: ctx.image,
        deadlineMs: ctx.deadlineMs,
        signal: ctx.signal,
        progress: (line) => ctx.log.progress(line),
      });
      if (waited.ready) {
        timeline.done('rollout', 'done', countsOf(waited), 100);
        return { status: 'promoted', steps: timeline.steps };
      }
      const reason = reasonOf(waited);
      const diagnosis = waited.diagnosis && { diagnosis: waited.diagnosis };
      timeline.done('rollout', 'failed', `${countsOf(waited)}; ${reason}`, 100);
      if (ctx.onFailure === 'pause') return { status: 'paused', steps: timeline.steps, reason, ...diagnosis };
      await abort(ctx);
      aborted();
      return { status: 'aborted', steps: timeline.steps, reason, ...diagnosis };
    } catch (e) {
      const cancelled = cancellationOf(e, ctx.signal);
      if (!cancelled) throw e;
      timeline.done('rollout', 'cancelled', cancelled.message, 100);
      ctx.kube.detach(CLEANUP_MS);
      await abort(ctx);
      aborted();
      return { status: 'cancelled', steps: timeline.steps, reason: cancelled.message };
    }
  },
};

/**
 * Back to what served before: the previous template, or nothing at all on a first deploy. The
 * objects' release annotation goes back too, so it names what actually serves.
 */
async function abort(ctx: RolloutContext): Promise<void> {
  const spec = ctx.deployment.spec as KubeObject;
  const before = ctx.previous?.metadata?.annotations?.[RELEASE_ANNOTATION];
  const annotated = (o: KubeObject): KubeObject =>
    before
      ? {
          ...o,
          metadata: {
            ...o.metadata,
            annotations: { ...o.metadata?.annotations, [RELEASE_ANNOTATION]: before },
          },
        }
      : o;
  // A Deployment at zero had been retired by another strategy (its slots or versions served): it stays at zero.
  const replicas = ctx.previous?.spec?.replicas === 0 ? { replicas: 0 } : {};
  const back: KubeObject = ctx.previous
    ? annotated({ ...ctx.deployment, spec: { ...spec, template: ctx.previous.spec.template, ...replicas } })
    : { ...ctx.deployment, spec: { ...spec, replicas: 0 } };
  if (before) await ctx.kube.apply(annotated(ctx.service));
  ctx.log.warn(
    ctx.previous
      ? `aborting: ${ctx.app} goes back to ${imageOf(ctx.previous)}`
      : `aborting: ${ctx.app} is scaled to zero (there was no previous version)`,
  );
  await ctx.kube.apply(back);
}
