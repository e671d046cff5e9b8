/** What the load and the floor share: the request row and percentiles. */
import { mulberry32 } from '../../packages/core/src/metrics/random.ts';

/** As evaluate-model's generate.ts (not imported: it would load DuckDB into the load and floor processes). */
export const FEATURES = 20;

/** One row of 20 features, seeded: every request of every run sends the same one. */
export function fixedRow(): number[] {
  const r = mulberry32(5);
  return Array.from({ length: FEATURES }, () => Number(r.normal().toFixed(4)));
}

/** Nearest-rank percentiles, in the unit the values were recorded in. */
export function percentiles(values: Float64Array, ps: readonly number[]): number[] {
  const sorted = values.slice().sort();
  const at = (p: number) => Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return ps.map((p) => sorted[at(p)] ?? Number.NaN);
}
