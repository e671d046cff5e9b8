/**
 * The pod template a cold rollback deploys: the one the target ran with, when the Deployment's
 * ReplicaSet history still has it (as `kubectl rollout undo` finds it: same env, resources,
 * probes), else today's template with the target's image and version label.
 */
import type { Kube } from '../client.ts';
import { imageOf, selectorOf } from '../rollout/strategy.ts';
import type { KubeObject } from '../types.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

export async function templateFor(
  kube: Kube,
  deployment: KubeObject,
  image: string,
  versionLabel: string,
): Promise<KubeObject> {
  const name = deployment.metadata?.name;
  const sets = await kube.list<KubeObject>('apps/v1', 'ReplicaSet', deployment.metadata!.namespace!, {
    labels: selectorOf(deployment),
  });
  const past = sets.items
    .filter((rs) => ownersOf(rs).some((o) => o.name === name))
    .filter((rs) => imageOf(rs) === image)
    .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  if (past) {
    const template = structuredClone(past.spec.template);
    delete template.metadata?.labels?.[HASH];
    delete template.metadata?.creationTimestamp;
    return template;
  }
  return withImage(deployment.spec?.template ?? {}, image, versionLabel);
}

/** A pod template running `image` (its `serve` container, else its first), labelled with its version. */
export function withImage(podTemplate: KubeObject, image: string, versionLabel: string): KubeObject {
  const template = structuredClone(podTemplate);
  if (template.metadata) delete (template.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  const containers = (template.spec?.containers ?? []) as { name: string; image?: string }[];
  const serve = containers.find((c) => c.name === 'serve') ?? containers[0];
  if (serve) serve.image = image;
  if (template.metadata?.labels?.['app.kubernetes.io/version'])
    template.metadata.labels['app.kubernetes.io/version'] = versionLabel;
  return template;
}

const ownersOf = (o: KubeObject) =>
  (o.metadata as { ownerReferences?: { name?: string }[] } | undefined)?.ownerReferences ?? [];

const revisionOf = (rs: KubeObject) => Number(rs.metadata?.annotations?.[REVISION] ?? 0);
