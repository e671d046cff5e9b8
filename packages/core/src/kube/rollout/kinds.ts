/** The strategies, by the name the `strategy` input uses; the step refuses any other before it runs. */
import { blueGreen } from './blue-green.ts';
import { canary } from './canary.ts';
import { retiring } from './retire.ts';
import { rolling } from './rolling.ts';
import type { Strategy } from './strategy.ts';
import { versions } from './versions.ts';

export const STRATEGY_KINDS = {
  rolling: retiring('rolling', rolling),
  'blue-green': retiring('blue-green', blueGreen),
  canary: retiring('canary', canary),
  versions: retiring('versions', versions),
} satisfies Record<string, Strategy>;

export type StrategyKind = keyof typeof STRATEGY_KINDS;

export const isStrategyKind = (s: string): s is StrategyKind => Object.hasOwn(STRATEGY_KINDS, s);
