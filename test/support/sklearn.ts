/** Asks Debian's scikit-learn (through /usr/bin/python3, which has it) for reference values. */
import { python } from './python.ts';

export type SklearnCase =
  /** [yTrue, yPred, k, proba (row-major) | null, 'float32' | 'float64', weights | null] */
  | { fn: 'classification'; args: [number[], number[], number, number[] | null, string, number[] | null] }
  /** [yTrue, yPred, weights | null] */
  | { fn: 'regression'; args: [number[], number[], number[] | null] }
  /** [k, n]: scipy.stats.binomtest(k, n, 0.5).pvalue */
  | { fn: 'binomtest'; args: [number, number] };

/** What sklearn_ref.py returns for a classification case; a metric sklearn refuses, or NaN, is null. */
export interface SklearnClassification {
  accuracy: number;
  balanced_accuracy: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  f1_weighted: number;
  roc_auc?: number | null;
  log_loss?: number;
  ece?: number;
  /** [precision, recall, f1, support], each over labels 0..k−1. */
  per_class: [number[], number[], number[], number[]];
  confusion: number[][];
}

export const sklearn = (cases: SklearnCase[]): unknown[] => python('./sklearn_ref.py', cases);
