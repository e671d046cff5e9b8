/**
 * keep-previous: after a canary promotes, a copy of the previous stable Deployment stays up for a
 * while (`<app>-previous`), outside the app's Service (its pods lack the app's name label and carry
 * WARM_LABEL instead), so a rollback sends traffic to pods that are already ready by switching the
 * Service's selector, and restores the app's own Deployment behind it.
 */
import { InputError } from '../../errors.ts';
import { formatDuration, parseDuration } from '../../format/duration.ts';
import { sleep } from '../../net/retry.ts';
import type { Logger } from '../../platform/port.ts';
import type { Kube } from '../client.ts';
import { RELEASE_ANNOTATION } from '../release.ts';
import { CLEANUP_MS, imageOf, type RolloutContext } from '../rollout/strategy.ts';
import type { KubeObject } from '../types.ts';
import { rollbackRequestOf } from './request.ts';

export const WARM_LABEL = 'modelship.dev/warm-for';
const NAME_LABEL = 'app.kubernetes.io/name';

export const warmName = (app: string) => `${app}-previous`;

/** The previous stable Deployment as its warm copy: its template, out of the app's Service. */
export function warmCopyOf(previous: KubeObject, app: string): KubeObject {
  const template = structuredClone(previous.spec?.template ?? {});
  const labels: Record<string, string> = { ...template.metadata?.labels, [WARM_LABEL]: app };
  delete labels[NAME_LABEL];
  delete template.metadata?.creationTimestamp;
  template.metadata = { ...template.metadata, labels };
  const before = previous.metadata?.annotations?.[RELEASE_ANNOTATION];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: warmName(app),
      namespace: previous.metadata?.namespace,
      labels: { [WARM_LABEL]: app, 'app.kubernetes.io/managed-by': 'modelship' },
      ...(before && { annotations: { [RELEASE_ANNOTATION]: before } }),
    },
    spec: {
      replicas: previous.spec?.replicas ?? 1,
      selector: { matchLabels: { [WARM_LABEL]: app } },
      template,
    },
  };
}

/** The warm copy's pod template as the app's own again (its name label back). */
export function templateFromWarm(warm: KubeObject, app: string): KubeObject {
  const template = structuredClone(warm.spec?.template ?? {});
  const labels: Record<string, string> = { ...template.metadata?.labels, [NAME_LABEL]: app };
  delete labels[WARM_LABEL];
  delete template.metadata?.creationTimestamp;
  template.metadata = { ...template.metadata, labels };
  return template;
}

/** A Service's selector sending its requests to the warm copy instead. */
export const warmSelector = (app: string) => ({ [WARM_LABEL]: app });

/** A promoted canary's outcome names the copy keep-previous left up, for the release record. */
export function keptWarm(ctx: Pick<RolloutContext, 'keepPreviousMs' | 'previous' | 'app'>) {
  const image = imageOf(ctx.previous);
  return ctx.keepPreviousMs && image ? { warm: { deployment: warmName(ctx.app), image } } : {};
}

/** keep-previous as milliseconds; a bad value is refused before the cluster is touched. */
export function parseKeepPrevious(text: string, input: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new InputError(`'${text}' is not a duration`, {
      where: { path: input },
      fix: 'Write it like 0s, 5m or 15m.',
    });
  return ms;
}

/**
 * The window keep-previous promised: the copy stays up, then is scaled to zero. A rollback asking
 * meanwhile takes it over (it switches to the copy), so it stays; a cancellation only ends the window.
 */
export async function holdWarm(
  kube: Kube,
  o: { namespace: string; deployment: string; ms: number; signal: AbortSignal; log: Logger },
): Promise<void> {
  o.log.info(
    `${o.deployment} stays up for ${formatDuration(o.ms)} (keep-previous), so a rollback is a switch`,
  );
  try {
    await sleep(o.ms, o.signal);
  } catch {
    if (rollbackRequestOf(o.signal)) return;
    kube.detach(CLEANUP_MS);
  }
  await kube.scale(o.namespace, 'Deployment', o.deployment, 0);
  o.log.info(`${o.deployment} scaled to zero: the keep-previous window is over`);
}
