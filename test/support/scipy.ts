/** Asks Debian's scipy (through /usr/bin/python3, which has it) for reference values. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** A small seeded generator (mulberry32) so every test run draws the same samples. */
export function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}
