/**
 * The seven steps of the lifecycle. Each entry's schema is imported eagerly (it is small);
 * its implementation lazily, so `--help` or a bad input answers before DuckDB or
 * onnxruntime is ever loaded.
 */

import { buildImageSpec } from './build-image/spec.ts';
import { deployRolloutSpec } from './deploy-rollout/spec.ts';
import { evaluateModelSpec } from './evaluate-model/spec.ts';
import { monitorGateSpec } from './monitor-gate/spec.ts';
import { rollbackSpec } from './rollback/spec.ts';
import { trainDispatchSpec } from './train-dispatch/spec.ts';
import type { StepDefinition } from './types.ts';
import { validateDataSpec } from './validate-data/spec.ts';

export const STEPS: StepDefinition[] = [
  { spec: validateDataSpec, load: () => import('./validate-data/run.ts') },
  { spec: trainDispatchSpec, load: () => import('./train-dispatch/run.ts') },
  { spec: evaluateModelSpec, load: () => import('./evaluate-model/run.ts') },
  { spec: buildImageSpec, load: () => import('./build-image/run.ts') },
  { spec: deployRolloutSpec, load: () => import('./deploy-rollout/run.ts') },
  { spec: monitorGateSpec, load: () => import('./monitor-gate/run.ts') },
  { spec: rollbackSpec, load: () => import('./rollback/run.ts') },
];

/** The whole lifecycle, in order, with the steps still to come, for the README and `--help`. */
export const LIFECYCLE = [
  'validate-data',
  'train-dispatch',
  'evaluate-model',
  'build-image',
  'deploy-rollout',
  'monitor-gate',
  'rollback',
] as const;

export function findStep(id: string): StepDefinition | undefined {
  return STEPS.find((s) => s.spec.id === id);
}
