/**
 * Each strategy lays an app out its own way: rolling and canary in the app's Deployment,
 * blue-green in slots (`<app>-blue`, `<app>-green`), versions in one Deployment per version
 * (`<app>-<name>`). The app's Service selects the pods of every layout but a slot it names, so a
 * deploy with another strategy would leave an earlier layout's pods answering beside the new
 * version. Once a rollout promotes, what the other layouts left running is scaled to zero (kept
 * defined, as each strategy keeps what it retires), in the release's steps and the log. This is
 * the one place that does it, for every strategy: the table of kinds wraps each in `retiring`. A
 * rollout that fails, pauses or is cancelled leaves them as they were.
 */
import { cancellationOf } from '../../cancel.ts';
import { retireSlots } from './blue-green.ts';
import { CLEANUP_MS, type RolloutContext, type Strategy } from './strategy.ts';
import { Timeline } from './timeline.ts';
import { retireVersions } from './versions.ts';

/** The layouts of other strategies, and how what each left running is retired. */
const LAYOUTS = { 'blue-green': retireSlots, versions: retireVersions };

/** `strategy`, which once promoted retires what the other strategies' layouts left running. */
export function retiring(kind: string, strategy: Strategy): Strategy {
  return {
    current: strategy.current,
    async run(ctx) {
      const outcome = await strategy.run(ctx);
      if (outcome.status !== 'promoted') return outcome;
      const timeline = new Timeline();
      await retireOthers(kind, ctx, timeline).catch(async (e: unknown) => {
        // Cancelled after the promotion: the new version serves, so the retiring is finished, not undone.
        if (!cancellationOf(e, ctx.signal)) throw e;
        ctx.kube.detach(CLEANUP_MS);
        await retireOthers(kind, ctx, timeline);
      });
      for (const step of timeline.steps) ctx.log.info(`retired: ${step.seen}`);
      return { ...outcome, steps: [...outcome.steps, ...timeline.steps] };
    },
  };
}

/** Each retire skips what is at zero already, so running it again after an interruption is safe. */
async function retireOthers(kind: string, ctx: RolloutContext, timeline: Timeline): Promise<void> {
  for (const [layout, retire] of Object.entries(LAYOUTS)) if (layout !== kind) await retire(ctx, timeline);
}
