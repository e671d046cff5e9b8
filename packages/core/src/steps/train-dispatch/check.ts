/**
 * Every input checked before anything starts: the target's own required inputs, quantities,
 * tolerations, `name=value` lists, the deadline, the registry repository. A typo costs milliseconds.
 */
import { InputError } from '../../errors.ts';
import { parseDuration } from '../../format/duration.ts';
import { parseReference } from '../../oci/reference.ts';
import type { Toleration } from '../../train/kubernetes/job.ts';
import { pairOf, resourcesOf, tolerationOf } from '../deploy-rollout/check.ts';
import type { TrainDispatchInputs } from './spec.ts';

export interface Plan {
  params: Record<string, string>;
  env: Record<string, string>;
  resources: Record<string, string>;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  deadlineMs: number;
  /** `host/repo` the model goes to, without tag or digest. */
  repository: string | undefined;
}

const bad = (input: string, what: string, fix: string) => new InputError(`${input}: ${what}`, { fix });

/** What each target cannot run without. */
const NEEDS: Record<TrainDispatchInputs['target'], (keyof TrainDispatchInputs)[]> = {
  kubernetes: ['image'],
  local: ['command'],
  github: ['repository', 'workflow'],
  gitlab: ['project'],
};

export function checkInputs(inputs: TrainDispatchInputs, describe: (n: string) => string): Plan {
  for (const name of NEEDS[inputs.target]) {
    const v = inputs[name];
    if (v === undefined || (Array.isArray(v) && !v.length))
      throw bad(describe(name), `target ${inputs.target} needs it`, `Set ${describe(name)}.`);
  }
  const pairs = (name: 'params' | 'env' | 'node-selector', shape: string) =>
    Object.fromEntries(inputs[name].map((l) => pairOf(l, describe(name), shape)));
  const deadlineMs = parseDuration(inputs.deadline);
  if (deadlineMs === undefined || deadlineMs < 1000)
    throw bad(
      describe('deadline'),
      `'${inputs.deadline}' is not a duration`,
      'Write it like 90s, 10m or 6h.',
    );
  return {
    params: pairs('params', 'name=value'),
    env: pairs('env', 'NAME=value'),
    resources: resourcesOf(inputs, describe),
    nodeSelector: pairs('node-selector', 'key=value'),
    tolerations: inputs.tolerations.map((t) => tolerationOf(t, describe('tolerations'))),
    deadlineMs,
    repository: inputs.registry ? repositoryOf(inputs.registry, describe('registry')) : undefined,
  };
}

function repositoryOf(text: string, input: string): string {
  const ref = parseReference(text, input);
  if (ref.digest || ref.tag)
    throw bad(
      input,
      `'${text}' names a tag or digest`,
      'Give the repository alone, e.g. ghcr.io/acme/model-trained.',
    );
  return `${ref.registry}/${ref.repository}`;
}
