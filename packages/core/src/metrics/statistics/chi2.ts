import type { TestResult } from './ks.ts';
import { chi2Sf } from './special.ts';

/**
 * Pearson's chi-square test of independence on a contingency table, as
 * scipy.stats.chi2_contingency computes it by default: expected counts from the margins,
 * and Yates' continuity correction when there is exactly one degree of freedom.
 */
export function chi2Contingency(table: number[][]): TestResult & { dof: number } {
  const rows = table.length;
  const cols = table[0]?.length ?? 0;
  const rowSums = table.map((r) => r.reduce((s, v) => s + v, 0));
  const colSums = Array.from({ length: cols }, (_, j) => table.reduce((s, r) => s + r[j]!, 0));
  const total = rowSums.reduce((s, v) => s + v, 0);
  const dof = (rows - 1) * (cols - 1);
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  let stat = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const expected = (rowSums[i]! * colSums[j]!) / total;
      let observed = table[i]![j]!;
      if (dof === 1) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      stat += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}
