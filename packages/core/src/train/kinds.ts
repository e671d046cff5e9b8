/**
 * The training targets: one file per kind, a typed table with no default branch, so an unknown
 * target is refused (by the schema, then here) before anything runs.
 */
import type { TrainDispatchInputs } from '../steps/train-dispatch/spec.ts';
import { githubTarget } from './forge/github.ts';
import { gitlabTarget } from './forge/gitlab.ts';
import { kubernetesTarget } from './kubernetes.ts';
import { localTarget } from './local.ts';
import type { TrainTarget } from './target.ts';

export type TargetKind = TrainDispatchInputs['target'];

export const TARGET_KINDS: { [K in TargetKind]: (inputs: TrainDispatchInputs) => TrainTarget } = {
  kubernetes: kubernetesTarget,
  local: localTarget,
  github: githubTarget,
  gitlab: gitlabTarget,
};

export function targetFor(inputs: TrainDispatchInputs): TrainTarget {
  const make = TARGET_KINDS[inputs.target];
  if (!make) throw new Error(`unknown training target '${String(inputs.target)}'`);
  return make(inputs);
}
