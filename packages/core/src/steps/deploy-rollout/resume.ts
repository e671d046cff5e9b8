/**
 * A canary paused at a bare `pause` step ends its run with status `paused`, the step to go on from
 * kept in the release record (`pausedAt`). The next deploy of the SAME image with strategy canary
 * resumes that release from there: same revision, its timeline continued. Any other deploy while it
 * is paused is refused, naming the paused release: two releases never share the canary track, and
 * a new image does not silently throw away a canary someone is watching. To move on, resume it, or
 * undo it with `modelship rollback` (which takes the canary down) and deploy again.
 */
import { InputError } from '../../errors.ts';
import type { Release, ReleaseRecord } from '../../kube/release.ts';
import type { Plan } from './check.ts';

/** The paused release this deploy resumes; undefined when the app has none. */
export function pausedRelease(
  record: ReleaseRecord,
  plan: Plan,
  describe: (input: string) => string,
): Release | undefined {
  const last = record.releases[0];
  if (last?.status !== 'paused' || !last.pausedAt) return undefined;
  const at = last.pausedAt;
  const where = `release ${last.revision} of ${plan.app} (${last.image}) is paused at step ${at.step} of ${at.of} with the canary at ${at.weight}%`;
  if (last.image !== plan.image || plan.strategy !== 'canary')
    throw new InputError(
      `${where}; this deploy of ${plan.image} (${plan.strategy}) would interleave with it`,
      {
        where: { path: describe('image') },
        fix: 'Resume it by running deploy-rollout again with that image and strategy canary, or undo it with `modelship rollback`, then deploy.',
      },
    );
  if (plan.canary?.steps.length !== at.of)
    throw new InputError(`${where}, but steps now lists ${plan.canary?.steps.length} steps`, {
      where: { path: describe('steps') },
      fix: 'Resume it with the steps it was started with.',
    });
  return last;
}

/** The paused release, in progress again; where it paused is forgotten until it pauses again. */
export function resumed(paused: Release): Release {
  const { pausedAt: _, ...rest } = paused;
  return { ...rest, status: 'in-progress', reason: null, finishedAt: null };
}
