/**
 * canary: a canary Deployment (`<app>-canary`) beside the stable one, both behind the app's
 * Service; the steps move traffic to it through a router (traffic/), pausing and running analysis
 * between weights. At 100% the stable Deployment takes the new version (its own rolling update)
 * and the canary is scaled to zero. On failure or cancellation, at any step, every request goes
 * back to the stable version at once: the canary is scaled to zero and the stable one, whose
 * template was never touched, back to its replicas.
 */
import { cancellationOf } from '../../cancel.ts';
import { formatDuration } from '../../format/duration.ts';
import { sleep } from '../../net/retry.ts';
import { keptWarm, warmCopyOf } from '../rollback/warm.ts';
import { TRAFFIC_KINDS } from '../traffic/kinds.ts';
import { TRACK_LABEL, type TrafficRouter } from '../traffic/router.ts';
import type { KubeObject } from '../types.ts';
import { type CanaryStep, describeStep } from './canary-steps.ts';
import { rolling } from './rolling.ts';
import {
  CLEANUP_MS,
  type RolloutContext,
  type RolloutOutcome,
  type Strategy,
  selectorOf,
} from './strategy.ts';
import { countsOf, reasonOf, Timeline } from './timeline.ts';
import { waitForRollout } from './wait.ts';

/** Why a step ended the canary early; thrown between steps, caught once in run(). */
class StepFailed extends Error {
  readonly outcome: Pick<RolloutOutcome, 'reason' | 'diagnosis'>;
  constructor(outcome: Pick<RolloutOutcome, 'reason' | 'diagnosis'>) {
    super(outcome.reason);
    this.outcome = outcome;
  }
}

export const canary: Strategy = {
  current: rolling.current,

  async run(ctx) {
    if (!ctx.previous) {
      ctx.log.notice(
        `${ctx.app} has no stable version yet, so there is nothing to compare a canary with: rolling it out`,
      );
      return rolling.run(ctx);
    }
    // A Deployment at zero is no stable version: an earlier deploy of another strategy (versions,
    // blue-green) retired it. Its steps would bring that old version back to serve beside the
    // canary, and an abort would leave it serving; rolled out, the others retire once it promotes.
    if (!ctx.resume && ctx.previous.spec?.replicas === 0) {
      ctx.log.notice(
        `${ctx.app}'s own Deployment is scaled to zero (an earlier deploy of another strategy serves), so there is no stable version to compare a canary with: rolling it out`,
      );
      return rolling.run(ctx);
    }
    const steps = ctx.canary?.steps ?? [{ kind: 'weight', weight: 100 }];
    const replicas = (ctx.deployment.spec?.replicas as number | undefined) ?? 1;
    const track = inTrack(ctx.deployment, 'canary', 0);
    const router = TRAFFIC_KINDS[ctx.canary?.traffic ?? 'replicas']({
      kube: ctx.kube,
      namespace: ctx.namespace,
      app: ctx.app,
      service: ctx.service,
      ...(ctx.canary?.gateway && { gateway: ctx.canary.gateway }),
      ...(ctx.canary?.mirror && { mirror: ctx.canary.mirror }),
      stable: ctx.app,
      replicas,
      canary: track,
    });
    const timeline = new Timeline();
    const from = ctx.resume?.step ?? 0;
    let weight = ctx.resume?.weight ?? 0;
    await ctx.kube.apply(ctx.service);
    if (from > 0) {
      // The canary kept its pods and its share while paused: it is not set back to zero.
      timeline.done(
        'resume',
        'done',
        `resumed at step ${from + 1} of ${steps.length}, canary at ${weight}%`,
        weight,
      );
    } else {
      await ctx.kube.apply(track);
      timeline.done('apply', 'done', `${track.metadata?.name} (0 pods) and Service applied`, 0);
    }
    let current = 'start';
    try {
      if (ctx.canary?.mirror && from === 0) {
        // The canary gets its copy of requests at 0%: steps before the first weight are a shadow phase.
        current = 'mirror';
        const step = { kind: 'weight', weight: 0 } as const;
        weight = await runStep(ctx, step, { router, track, weight, timeline, replicas });
      }
      for (const [i, step] of steps.entries()) {
        if (i < from) continue;
        ctx.signal.throwIfAborted();
        current = describeStep(step);
        ctx.log.info(`step ${i + 1} of ${steps.length}: ${describeStep(step)} (canary at ${weight}%)`);
        if (step.kind === 'hold') return held(i, steps.length, weight, timeline);
        weight = await runStep(ctx, step, { router, track, weight, timeline, replicas });
      }
      return { status: 'promoted', steps: timeline.steps, ...keptWarm(ctx) };
    } catch (e) {
      const cancelled = cancellationOf(e, ctx.signal);
      if (!cancelled && !(e instanceof StepFailed)) throw e;
      if (cancelled) {
        timeline.done(current, 'cancelled', cancelled.message, weight);
        ctx.kube.detach(CLEANUP_MS);
      }
      if (e instanceof StepFailed && ctx.onFailure === 'pause')
        return { status: 'paused', steps: timeline.steps, ...e.outcome };
      ctx.log.warn(
        `aborting: every request goes back to ${ctx.app}; ${track.metadata?.name} is scaled to zero`,
      );
      await router.reset();
      timeline.done('abort', 'done', 'all traffic back on stable', 0);
      return cancelled
        ? { status: 'cancelled', steps: timeline.steps, reason: cancelled.message }
        : { status: 'aborted', steps: timeline.steps, ...(e as StepFailed).outcome };
    }
  },
};

/** A bare `pause`: the run ends here, the canary keeping its share, until a later run resumes it. */
function held(i: number, of: number, weight: number, timeline: Timeline): RolloutOutcome {
  const reason = `paused at step ${i + 1} of ${of} with the canary at ${weight}%: run deploy-rollout again with the same image to go on`;
  timeline.done('pause', 'done', `held at ${weight}% until a later run`, weight);
  return { status: 'paused', steps: timeline.steps, reason, pausedAt: { step: i + 1, of, weight } };
}

interface State {
  router: TrafficRouter;
  track: KubeObject;
  weight: number;
  timeline: Timeline;
  replicas: number;
}

/** Runs one step; resolves with the canary's weight after it. */
async function runStep(
  ctx: RolloutContext,
  step: Exclude<CanaryStep, { kind: 'hold' }>,
  s: State,
): Promise<number> {
  if (step.kind === 'pause') {
    await pause(ctx, step.ms, s.weight);
    s.timeline.done(describeStep(step), 'done', `held at ${s.weight}%`, s.weight);
    return s.weight;
  }
  if (step.kind === 'analysis') {
    const verdict = ctx.analysis ? await ctx.analysis({ weight: s.weight, signal: ctx.signal }) : undefined;
    if (!verdict) {
      s.timeline.done('analysis', 'skipped', 'no analysis configured (monitor-gate)', s.weight);
      return s.weight;
    }
    s.timeline.done('analysis', verdict.passed ? 'done' : 'failed', verdict.seen, s.weight);
    if (!verdict.passed) throw new StepFailed({ reason: `analysis at ${s.weight}%: ${verdict.seen}` });
    return s.weight;
  }
  if (step.weight >= 100) {
    await promote(ctx, s);
    return 100;
  }
  const routed = await s.router.setWeight(step.weight);
  const name = s.track.metadata!.name!;
  const waited = await waitForRollout(ctx.kube, waitFor(ctx, name, s.track));
  if (!waited.ready) {
    s.timeline.done(`${step.weight}%`, 'failed', `${countsOf(waited)}; ${reasonOf(waited)}`, routed.actual);
    throw new StepFailed({
      reason: reasonOf(waited),
      ...(waited.diagnosis && { diagnosis: waited.diagnosis }),
    });
  }
  s.timeline.done(`${step.weight}%`, 'done', `${routed.detail} (${routed.actual}% of pods)`, routed.actual);
  return routed.actual;
}

/** The stable Deployment takes the new version; the canary's pods go once it is all ready. */
async function promote(ctx: RolloutContext, s: State): Promise<void> {
  // keep-previous brings a copy of the previous version up beside, out of traffic.
  const warm = ctx.keepPreviousMs && ctx.previous ? warmCopyOf(ctx.previous, ctx.app) : undefined;
  if (warm) await ctx.kube.apply(warm);
  await ctx.kube.apply(ctx.deployment);
  const waited = await waitForRollout(ctx.kube, waitFor(ctx, ctx.app, ctx.deployment));
  if (!waited.ready) {
    s.timeline.done('100%', 'failed', `${countsOf(waited)}; ${reasonOf(waited)}`, 100);
    // The stable Deployment is mid-update: its previous template goes back with the abort.
    const template = ctx.previous?.spec?.template;
    await ctx.kube.apply({ ...ctx.deployment, spec: { ...ctx.deployment.spec, template } });
    if (warm) await ctx.kube.scale(ctx.namespace, 'Deployment', warm.metadata!.name!, 0);
    throw new StepFailed({
      reason: reasonOf(waited),
      ...(waited.diagnosis && { diagnosis: waited.diagnosis }),
    });
  }
  await s.router.reset();
  s.timeline.done('100%', 'done', `${countsOf(waited)} in ${ctx.app}; canary scaled to zero`, 100);
}

function waitFor(ctx: RolloutContext, deployment: string, d: KubeObject) {
  return {
    namespace: ctx.namespace,
    deployment,
    pods: selectorOf(d),
    image: ctx.image,
    deadlineMs: ctx.deadlineMs,
    signal: ctx.signal,
    progress: (line: string) => ctx.log.progress(line),
  };
}

async function pause(ctx: RolloutContext, ms: number, weight: number): Promise<void> {
  const started = Date.now();
  const tick = setInterval(() => {
    const elapsed = Date.now() - started;
    ctx.log.progress(
      `paused at ${weight}%: ${formatDuration(elapsed)} of ${formatDuration(ms)}, ${formatDuration(ms - elapsed)} left`,
    );
  }, 5000);
  try {
    await sleep(ms, ctx.signal);
  } finally {
    clearInterval(tick);
  }
}

/** The app's Deployment as a separate track: its own name, the track in its selector and pods. */
export function inTrack(deployment: KubeObject, track: string, replicas: number): KubeObject {
  const d = structuredClone(deployment);
  d.metadata = { ...d.metadata, name: `${d.metadata?.name}-${track}` };
  d.spec.replicas = replicas;
  d.spec.selector = { matchLabels: { ...d.spec.selector?.matchLabels, [TRACK_LABEL]: track } };
  d.spec.template.metadata.labels = { ...d.spec.template.metadata?.labels, [TRACK_LABEL]: track };
  return d;
}
