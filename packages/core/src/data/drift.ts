/**
 * Drift of a column between the reference (e.g. the training data of the model in
 * production) and the data under test. Tests and their decision rules:
 *   ks, chi2                    drift when p < threshold (default 0.05)
 *   psi                         drift when PSI > threshold (default 0.2)
 *   jensenshannon               drift when the distance > threshold (default 0.1)
 *   wasserstein                 drift when W1 > threshold (default 0.1 × the reference's std)
 * `auto` picks ks / chi2 while the reference has at most AUTO_EXACT_LIMIT values, where a
 * p-value still means something, and psi / jensenshannon beyond, where every difference
 * becomes "significant" and a distance with a fixed threshold is the useful signal.
 */
import { chi2Contingency } from '../metrics/statistics/chi2.ts';
import { binCounts, describeSorted, quantileEdges } from '../metrics/statistics/describe.ts';
import { jensenShannon, psi, wasserstein1 } from '../metrics/statistics/distances.ts';
import { ks2Samp } from '../metrics/statistics/ks.ts';
import type { DriftRule, DriftTest } from './contract/model.ts';

export const AUTO_EXACT_LIMIT = 1000;

export const DEFAULT_THRESHOLDS: Record<Exclude<DriftTest, 'wasserstein'>, number> = {
  ks: 0.05,
  chi2: 0.05,
  psi: 0.2,
  jensenshannon: 0.1,
};

export interface DriftResult {
  column: string;
  test: DriftTest;
  statistic: number;
  p_value: number | null;
  threshold: number;
  drifted: boolean;
  severity: 'error' | 'warning';
  reference_count: number;
  current_count: number;
}

type Thresholds = Record<DriftTest, number | undefined>;

function threshold(test: DriftTest, rule: DriftRule, contract: Thresholds, reference?: Float64Array): number {
  if (rule.threshold !== undefined) return rule.threshold;
  const set = contract[test];
  if (set !== undefined) return set;
  if (test === 'wasserstein') {
    const std = reference ? describeSorted(reference).std : Number.NaN;
    return Number.isFinite(std) && std > 0 ? 0.1 * std : 1e-9;
  }
  return DEFAULT_THRESHOLDS[test];
}

function result(
  column: string,
  test: DriftTest,
  rule: DriftRule,
  stat: { statistic: number; pValue?: number },
  limit: number,
  counts: [number, number],
): DriftResult {
  const hasP = stat.pValue !== undefined;
  return {
    column,
    test,
    statistic: stat.statistic,
    p_value: hasP ? stat.pValue! : null,
    threshold: limit,
    drifted: hasP ? stat.pValue! < limit : stat.statistic > limit,
    severity: rule.severity,
    reference_count: counts[0],
    current_count: counts[1],
  };
}

/** Both samples sorted ascending (NaN last), nulls removed. */
export function numericDrift(
  column: string,
  rule: DriftRule,
  reference: Float64Array,
  current: Float64Array,
  contract: Thresholds,
): DriftResult {
  const test: DriftTest =
    rule.test === 'auto' ? (reference.length <= AUTO_EXACT_LIMIT ? 'ks' : 'psi') : rule.test;
  const limit = threshold(test, rule, contract, reference);
  const counts: [number, number] = [reference.length, current.length];
  switch (test) {
    case 'ks':
      return result(column, test, rule, ks2Samp(reference, current), limit, counts);
    case 'wasserstein':
      return result(column, test, rule, { statistic: wasserstein1(current, reference) }, limit, counts);
    case 'psi':
    case 'jensenshannon': {
      const edges = quantileEdges(reference, rule.bins);
      const expected = binCounts(reference, edges);
      const actual = binCounts(current, edges);
      const statistic = test === 'psi' ? psi(expected, actual) : jensenShannon(expected, actual);
      return result(column, test, rule, { statistic }, limit, counts);
    }
    case 'chi2':
      throw new Error('chi2 on a numeric column is rejected when the contract loads');
  }
}

export function categoricalDrift(
  column: string,
  rule: DriftRule,
  reference: Map<string, number>,
  current: Map<string, number>,
  contract: Thresholds,
): DriftResult {
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);
  const counts: [number, number] = [total(reference), total(current)];
  const test: DriftTest =
    rule.test === 'auto' ? (counts[0] <= AUTO_EXACT_LIMIT ? 'chi2' : 'jensenshannon') : rule.test;
  const limit = threshold(test, rule, contract);
  const categories = [...new Set([...reference.keys(), ...current.keys()])].sort();
  const ref = categories.map((c) => reference.get(c) ?? 0);
  const cur = categories.map((c) => current.get(c) ?? 0);
  if (test === 'chi2') return result(column, test, rule, chi2Contingency([ref, cur]), limit, counts);
  return result(column, test, rule, { statistic: jensenShannon(ref, cur) }, limit, counts);
}
