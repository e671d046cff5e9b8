/** Asks Debian's scipy (through /usr/bin/python3, which has it) for reference values. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../packages/core/src/metrics/random.ts';

const script = fileURLToPath(new URL('./scipy_ref.py', import.meta.url));

export interface ScipyCase {
  fn: 'ks_2samp' | 'kstwo_sf' | 'chi2_contingency' | 'chi2_sf' | 'wasserstein' | 'jensenshannon' | 'quantile';
  args: unknown[];
}

export function scipy(cases: ScipyCase[]): unknown[] {
  const out = execFileSync('/usr/bin/python3', [script], {
    input: JSON.stringify(cases),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return JSON.parse(out) as unknown[];
}

/** The seeded generator the code uses, so every test run draws the same samples. */
export function rng(seed: number) {
  const { uniform, normal } = mulberry32(seed);
  return { next: uniform, normal };
}
