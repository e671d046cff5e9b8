/**
 * The registry stage goes back with the app: `production` points at the target again, through the
 * versions module, whose stage history keeps the move (and so who held it before).
 */
import type { Release } from '../../kube/release.ts';
import { Registry } from '../../oci/client.ts';
import { parseReference } from '../../oci/reference.ts';
import type { Logger } from '../../platform/port.ts';
import { promote } from '../../versions/stages.ts';
import type { Plan } from './check.ts';
import type { RollbackInputs } from './spec.ts';

/** The stage moved back, or null when there is none to move (said so in the log). */
export async function moveStageBack(
  inputs: RollbackInputs,
  plan: Plan,
  image: string,
  undone: Release[],
  by: string | null,
  log: Logger,
  signal: AbortSignal,
): Promise<string | null> {
  const stage = plan.stage ?? undone.find((r) => r.stage)?.stage ?? undefined;
  if (!stage || stage === 'none') return null;
  const ref = parseReference(image, 'to');
  if (!ref.digest) {
    log.warn(`stage ${stage} stays where it is: ${image} has no digest to point it at`);
    return null;
  }
  const user = inputs['registry-username'];
  const password = inputs['registry-password'];
  const registry = await Registry.connect(ref.registry, {
    ...(user && password && { credentials: { username: user, password } }),
    ...(inputs['insecure-registry'] && { insecure: true }),
    retries: 1,
    log,
    signal,
  });
  const moved = await promote(registry, ref.repository, ref.digest, stage, by);
  log.info(`stage ${stage} now holds ${moved.digest} (before: ${moved.previous ?? 'nothing'})`);
  return stage;
}
