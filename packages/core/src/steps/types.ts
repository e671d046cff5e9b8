import type { Platform, StepResult } from '../platform/port.ts';
import type { StepSpec } from './spec.ts';

export type StepOutcome = Omit<StepResult, 'seconds'>;

export interface StepModule<I> {
  /** `signal` aborts on SIGTERM/SIGINT: stop at the next safe point and leave things consistent. */
  run(inputs: I, platform: Platform, signal: AbortSignal): Promise<StepOutcome>;
}

/** A step's schema, light to import, and its implementation, loaded only when it runs. */
export interface StepDefinition {
  spec: StepSpec;
  load(): Promise<StepModule<never>>;
}
