/**
 * Robustness perturbations: the same rows again, a little wrong, to see how far the metrics
 * fall. Noise is seeded and drawn in row order, so the same seed gives the same report.
 */
import { InputError } from '../../errors.ts';
import { mulberry32 } from '../../metrics/random.ts';
import type { Features } from '../../onnx/batches.ts';
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

export interface FeatureStats {
  mean: Float64Array;
  std: Float64Array;
}

/** A function that returns a perturbed copy of a row-major batch; it keeps its noise stream between calls. */
export function perturber(
  p: Perturbation,
  stats: FeatureStats,
  seed: number,
): (features: Features) => Features {
  const width = stats.mean.length;
  if (p.kind === 'drop-feature') {
    return (features: Features) => {
      const out = features.slice();
      for (let i = p.index; i < out.length; i += width) out[i] = stats.mean[p.index]!;
      return out;
    };
  }
  const { normal } = mulberry32(seed);
  return (features: Features) => {
    const out = features.slice();
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + p.scale * stats.std[i % width]! * normal();
    return out;
  };
}
