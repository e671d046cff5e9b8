/**
 * What deploy-rollout asks of the image's registry: the facts build-image recorded on the image
 * (model, data, evaluation, source), which go into the release record, and, after a successful
 * rollout, moving a stage (`promote-stage`) with the versions module.
 */
import { InputError } from '../../errors.ts';
import { Registry } from '../../oci/client.ts';
import { parseReference } from '../../oci/reference.ts';
import { manifestOrUndefined } from '../../oci/store.ts';
import type { Logger } from '../../platform/port.ts';
import { type Promotion, promote } from '../../versions/stages.ts';
import type { Plan } from './check.ts';
import type { DeployRolloutInputs } from './spec.ts';

/** The annotations worth keeping in a release record: modelship's facts and the image's source. */
const FACT = /^(dev\.modelship\.|org\.opencontainers\.image\.(revision|source|version|created))/;

function connect(inputs: DeployRolloutInputs, log: Logger, signal: AbortSignal) {
  const ref = parseReference(inputs.image, 'image');
  const user = inputs['registry-username'];
  const password = inputs['registry-password'];
  return {
    ref,
    registry: Registry.connect(ref.registry, {
      ...(user && password && { credentials: { username: user, password } }),
      ...(inputs['insecure-registry'] && { insecure: true }),
      retries: 1,
      log,
      signal,
    }),
  };
}

/** The image's facts, or null with a warning: a registry the job cannot read must not stop a deploy. */
export async function imageFacts(
  inputs: DeployRolloutInputs,
  log: Logger,
  signal: AbortSignal,
): Promise<Record<string, string> | null> {
  try {
    const { ref, registry } = connect(inputs, log, signal);
    const m = await manifestOrUndefined(await registry, ref.repository, ref.digest ?? ref.tag ?? 'latest');
    if (!m) throw new Error('the registry does not have it');
    const annotations =
      (JSON.parse(m.bytes.toString('utf8')) as { annotations?: Record<string, string> }).annotations ?? {};
    return Object.fromEntries(Object.entries(annotations).filter(([k]) => FACT.test(k)));
  } catch (e) {
    signal.throwIfAborted();
    log.warn(
      `could not read the facts recorded on ${inputs.image} (${(e as Error).message}); the release record goes without them`,
    );
    return null;
  }
}

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * An image by digest alone is named by the version build-image recorded on it (`v42`, its first
 * tag), not by a digest prefix: that name labels the pods, names the release, and is what a
 * rollback `to: v42` and monitor-gate's `canary-version` find.
 */
export function namedByImage(plan: Plan, image: string, facts: Record<string, string> | null): Plan {
  const recorded = facts?.['org.opencontainers.image.version'];
  if (parseReference(image, 'image').tag || !recorded || !LABEL_VALUE.test(recorded)) return plan;
  return {
    ...plan,
    version: recorded,
    ...(plan.versions && { versions: { ...plan.versions, tag: recorded } }),
  };
}

/** promote-stage needs the image by digest: a stage names one exact version. */
export function checkPromotion(inputs: DeployRolloutInputs, describe: (n: string) => string): void {
  if (inputs['promote-stage'] && !parseReference(inputs.image, describe('image')).digest)
    throw new InputError(
      `${describe('promote-stage')} needs the image by digest, and '${inputs.image}' has none`,
      {
        fix: "Pass build-image's image output (name@sha256:…).",
      },
    );
}

export async function promoteStage(
  inputs: DeployRolloutInputs,
  stage: string,
  by: string | null,
  log: Logger,
  signal: AbortSignal,
): Promise<Promotion> {
  const { ref, registry } = connect(inputs, log, signal);
  return promote(await registry, ref.repository, ref.digest!, stage, by);
}
