/** Asks Debian's scipy (through /usr/bin/python3, which has it) for reference values. */

import { mulberry32 } from '../../packages/core/src/metrics/random.ts';
import { python } from './python.ts';

export interface ScipyCase {
  fn: 'ks_2samp' | 'kstwo_sf' | 'chi2_contingency' | 'chi2_sf' | 'wasserstein' | 'jensenshannon' | 'quantile';
  args: unknown[];
}

export const scipy = (cases: ScipyCase[]): unknown[] => python('./scipy_ref.py', cases);

/** The seeded generator the code uses, so every test run draws the same samples. */
export function rng(seed: number) {
  const { uniform, normal } = mulberry32(seed);
  return { next: uniform, normal };
}
