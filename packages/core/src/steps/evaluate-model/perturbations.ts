/**
 * Robustness perturbations: the same rows again, a little wrong, to see how far the metrics
 * fall. Noise is seeded and drawn in row order, so the same seed gives the same report.
 */
import { InputError } from '../../errors.ts';
import { closest } from '../../suggest.ts';

export type Perturbation =
  | { id: string; kind: 'gaussian-noise'; scale: number }
  | { id: string; kind: 'drop-feature'; column: string; index: number };

const KINDS = ['gaussian-noise', 'drop-feature'];

export function parsePerturbations(specs: readonly string[], features: readonly string[]): Perturbation[] {
  return specs.map((spec, i) => {
    const where = { path: `robustness[${i}]` };
    const [kind = '', arg = ''] = spec.split(':').map((s) => s.trim());
    if (kind === 'gaussian-noise') {
      const scale = Number(arg);
      if (arg === '' || !Number.isFinite(scale) || scale <= 0) {
        throw new InputError(`robustness '${spec}' needs a positive scale`, {
          where,
          fix: 'Write e.g. `gaussian-noise:0.1` for noise of 0.1 standard deviations.',
        });
      }
      return { id: spec, kind, scale };
    }
    if (kind === 'drop-feature') {
      const index = features.indexOf(arg);
      if (index < 0) {
        const guess = closest(arg, features);
        throw new InputError(`robustness '${spec}' names '${arg}', which is not a feature column`, {
          where,
          fix: `${guess ? `Did you mean '${guess}'? ` : ''}Features: ${features.join(', ')}.`,
        });
      }
      return { id: spec, kind, column: arg, index };
    }
    const guess = closest(kind, KINDS);
    throw new InputError(`robustness '${spec}' is not a known perturbation`, {
      where,
      fix: `${guess ? `Did you mean '${guess}'? ` : ''}Use gaussian-noise:<scale> or drop-feature:<column>.`,
    });
  });
}

/** mulberry32: small, fast and seedable; the noise only needs to be reproducible, not secure. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FeatureStats {
  mean: Float64Array;
  std: Float64Array;
}

/** A function that returns a perturbed copy of a row-major batch; it keeps its noise stream between calls. */
export function perturber(
  p: Perturbation,
  stats: FeatureStats,
  seed: number,
): (features: Float64Array) => Float64Array {
  const width = stats.mean.length;
  if (p.kind === 'drop-feature') {
    return (features) => {
      const out = features.slice();
      for (let i = p.index; i < out.length; i += width) out[i] = stats.mean[p.index]!;
      return out;
    };
  }
  const next = uniform(seed);
  // Box–Muller: two uniforms per normal draw; 1 - u keeps log() away from 0.
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return (features) => {
    const out = features.slice();
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + p.scale * stats.std[i % width]! * normal();
    return out;
  };
}
