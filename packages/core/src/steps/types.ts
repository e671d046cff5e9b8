import type { Platform, StepResult } from '../platform/port.ts';
import type { StepSpec } from './spec.ts';

export type StepOutcome = Omit<StepResult, 'seconds'>;

export interface StepModule<I> {
  run(inputs: I, platform: Platform): Promise<StepOutcome>;
}

/** A step's schema, light to import, and its implementation, loaded only when it runs. */
export interface StepDefinition {
  spec: StepSpec;
  load(): Promise<StepModule<never>>;
}
