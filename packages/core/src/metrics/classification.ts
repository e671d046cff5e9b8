/**
 * Classification metrics for the evaluate-model step, equal to scikit-learn 1.2.1's default calls
 * (`accuracy_score`, `precision_score(average='macro')`, `roc_auc_score(multi_class='ovr')`, `log_loss`, …)
 * on already-encoded class indexes, with optional per-row weights.
 *
 * The paired bootstrap calls `compute` about a thousand times on the same rows with different weights, so
 * everything that does not depend on the weights (the per-class sort orders for ROC AUC, each row's log
 * loss and calibration bin) is done once in `prepareClassification`; `compute` is then O(n·k).
 *
 * Conventions where scikit-learn has none, or raises:
 * - A row of weight 0 is absent. Weights that count draws then give exactly scikit-learn's result on the
 *   resampled rows. (scikit-learn given sample_weight with zeros would still count a class seen only in
 *   zero-weight rows among the labels of its macro averages; for a bootstrap that is an artefact.)
 * - Macro averages run over the classes present (positive weight) in yTrue or yPred, as scikit-learn's
 *   default `labels=None`; balanced accuracy over the classes present in yTrue. Per-class arrays cover
 *   every class 0..k−1 (`labels=range(k)`), 0 where a denominator is 0 (zero_division's default).
 * - roc_auc is NaN where scikit-learn raises: some class of 0..k−1 has no weight in yTrue. Unlike
 *   scikit-learn, multiclass rows that do not sum to 1 are scored as given rather than refused.
 * - Total weight 0 makes every metric NaN (scikit-learn divides by zero).
 */

import { sortDescending, sortKeys } from './argsort.ts';
import {
  ClassificationRows,
  type ColumnKeys,
  ECE_BINS,
  type Probabilities,
  type RowSums,
  type RowTerms,
  rowTerms,
  scoredColumns,
} from './classification-rows.ts';

export { ClassificationRows, ECE_BINS, type Probabilities };

export interface ClassificationInput {
  /** True class of each row, 0..k−1. */
  yTrue: Int32Array;
  /** Predicted class of each row, 0..k−1. */
  yPred: Int32Array;
  /** Number of classes, at least 2. */
  k: number;
  /** Row-major n×k class probabilities; absent when the model gives labels only. */
  proba?: Probabilities | undefined;
}

/** The metrics every classifier gets, and those only a model with probabilities gets. */
export const LABEL_METRICS = [
  'accuracy',
  'balanced_accuracy',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'f1_weighted',
] as const;
export const PROBABILITY_METRICS = ['roc_auc', 'log_loss', 'ece'] as const;

/** Named as scikit-learn names them, so reports and gate expressions use the names users know. */
export type ClassificationScores = {
  accuracy: number;
  balanced_accuracy: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  f1_weighted: number;
  roc_auc?: number;
  log_loss?: number;
  ece?: number;
};

export interface PerClass {
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
  /** Weighted count of rows whose true class is this one. */
  support: Float64Array;
}

export interface ClassificationReport {
  scores: ClassificationScores;
  /** k×k weighted counts, rows = true class, columns = predicted (sklearn.metrics.confusion_matrix). */
  confusion: number[][];
  perClass: PerClass;
}

export interface PreparedClassification {
  readonly rows: number;
  /** Metrics under per-row weights (non-negative, length n); every row once when absent. */
  compute(weights?: Float64Array): ClassificationReport;
}

export function classificationMetrics(
  input: ClassificationInput,
  weights?: Float64Array,
): ClassificationReport {
  return prepareClassification(input).compute(weights);
}

export function prepareClassification(input: ClassificationInput): PreparedClassification {
  const rows = new ClassificationRows(input.k);
  rows.add(input.yTrue, input.yPred, input.proba);
  return preparedClassification(input, rows);
}

/**
 * prepareClassification's result from rows already taken in (in order, by `rows.add`, all of
 * `input`'s rows and nothing else): what is left is the sorts for ROC AUC.
 */
export function preparedClassification(
  input: ClassificationInput,
  rows: ClassificationRows,
): PreparedClassification {
  const { yTrue, yPred, k, proba } = input;
  const n = yTrue.length;
  if (rows.rows !== n || rows.k !== k || yPred.length !== n || (proba && proba.length !== n * k)) {
    throw new RangeError(`${rows.rows} rows of ${rows.k} classes taken in for ${n} rows of ${k}`);
  }
  // Rows are ranked by score only when weights come (a bootstrap, a slice): every row once needs
  // only the sorted scores (unweightedAuc).
  let columns: RankedColumn[] | undefined;
  // Each row's terms are needed whole only under weights; every row once has their sums already.
  let terms: RowTerms | undefined;
  const prepared = proba && {
    columns: () => (columns ??= rankColumns(proba, yTrue, k)),
    rows: () => (terms ??= rowTerms(proba, yTrue, k)),
  };
  const compute = (weights?: Float64Array): ClassificationReport => {
    const sums = weights ? rowSums(yTrue, yPred, k, weights, prepared?.rows()) : rows.unweightedSums();
    const { scores, perClass } = labelScores(sums.confusion, k);
    if (prepared) {
      const unranked = weights ? undefined : unweightedAuc(rows.columnKeys());
      scores.roc_auc = unranked ?? rocAuc(prepared.columns(), weights);
      scores.log_loss = sums.loss / sums.total;
      scores.ece = expectedCalibrationError(sums.gap, sums.total);
    }
    const cm = sums.confusion;
    const confusion = Array.from({ length: k }, (_, i) => Array.from(cm.subarray(i * k, (i + 1) * k)));
    return { scores, confusion, perClass };
  };
  // Callers ask for every row once a few times (the report, the comparison, the bootstrap's centre), so
  // that is computed once and copied.
  let unweighted: ClassificationReport | undefined;
  return {
    rows: n,
    compute(weights) {
      if (weights && weights.length !== n) throw new RangeError(`${weights.length} weights for ${n} rows`);
      if (weights) return compute(weights);
      unweighted ??= compute();
      return copyReport(unweighted);
    },
  };
}

/** A copy that a caller may change without changing the cached one. */
function copyReport({ scores, confusion, perClass }: ClassificationReport): ClassificationReport {
  const { precision, recall, f1, support } = perClass;
  return {
    scores: { ...scores },
    confusion: confusion.map((row) => [...row]),
    perClass: {
      precision: precision.slice(),
      recall: recall.slice(),
      f1: f1.slice(),
      support: support.slice(),
    },
  };
}

/**
 * The weighted sums over rows in one pass; each sum adds in row order, as separate passes would.
 * (Every row once: ClassificationRows adds the same sums as the rows come.)
 */
function rowSums(
  yTrue: Int32Array,
  yPred: Int32Array,
  k: number,
  weights: Float64Array,
  rows?: RowTerms,
): RowSums {
  const cm = new Float64Array(k * k);
  const gap = new Float64Array(ECE_BINS);
  let loss = 0;
  let total = 0;
  if (!rows) {
    for (let i = 0; i < yTrue.length; i++) cm[yTrue[i]! * k + yPred[i]!]! += weights[i]!;
    return { confusion: cm, loss, gap, total };
  }
  const { loss: rowLoss, bin, gap: rowGap } = rows;
  for (let i = 0; i < yTrue.length; i++) {
    const w = weights[i]!;
    cm[yTrue[i]! * k + yPred[i]!]! += w;
    loss += w * rowLoss[i]!;
    gap[bin[i]!]! += w * rowGap[i]!;
    total += w;
  }
  return { confusion: cm, loss, gap, total };
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

function labelScores(cm: Float64Array, k: number): { scores: ClassificationScores; perClass: PerClass } {
  const { perClass, predicted } = perClassScores(cm, k);
  const { precision, recall, f1, support } = perClass;
  const sums = { correct: 0, total: 0, precision: 0, recall: 0, f1: 0, f1Weighted: 0, labels: 0 };
  const balanced = { recall: 0, classes: 0 };
  for (let c = 0; c < k; c++) {
    sums.correct += cm[c * k + c]!;
    sums.total += support[c]!;
    sums.f1Weighted += support[c]! * f1[c]!;
    if (support[c]! > 0) {
      balanced.recall += recall[c]!;
      balanced.classes++;
    }
    if (support[c]! > 0 || predicted[c]! > 0) {
      sums.precision += precision[c]!;
      sums.recall += recall[c]!;
      sums.f1 += f1[c]!;
      sums.labels++;
    }
  }
  const scores: ClassificationScores = {
    accuracy: sums.correct / sums.total,
    balanced_accuracy: balanced.recall / balanced.classes,
    precision_macro: sums.precision / sums.labels,
    recall_macro: sums.recall / sums.labels,
    f1_macro: sums.f1 / sums.labels,
    f1_weighted: sums.f1Weighted / sums.total,
  };
  return { scores, perClass };
}

function perClassScores(cm: Float64Array, k: number): { perClass: PerClass; predicted: Float64Array } {
  const support = new Float64Array(k);
  const predicted = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      support[i]! += cm[i * k + j]!;
      predicted[j]! += cm[i * k + j]!;
    }
  }
  const precision = new Float64Array(k);
  const recall = new Float64Array(k);
  const f1 = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const p = ratio(cm[c * k + c]!, predicted[c]!);
    const r = ratio(cm[c * k + c]!, support[c]!);
    precision[c] = p;
    recall[c] = r;
    f1[c] = p + r === 0 ? 0 : (2 * p * r) / (p + r);
  }
  return { perClass: { precision, recall, f1, support }, predicted };
}

/** Rows by descending score of one class, whether each is of that class, and where tie runs end. */
interface RankedColumn {
  order: Int32Array;
  positive: Uint8Array;
  groupEnd: Uint8Array;
  /** The same ranking for sums under weights (splitColumn), made on the first weighted call. */
  split?: SplitColumn;
}

/**
 * A ranked column's positives and negatives apart, each in rank order, and for each negative the
 * number of positives ranked above its tie group and up to its end: under weights, its share of
 * the area is its weight times the positives' weight above it plus half of that tied with it,
 * which a prefix sum over the positives gives without a branch on each row's class.
 */
interface SplitColumn {
  positives: Int32Array;
  negatives: Int32Array;
  above: Int32Array;
  upTo: Int32Array;
  /** prefix[i]: the weight of the first i positives; refilled by each call. */
  prefix: Float64Array;
}

// Binary ROC AUC scores proba column 1 only (roc_auc_score(y, P[:, 1])); multiclass scores every column.
function rankColumns(proba: Probabilities, yTrue: Int32Array, k: number): RankedColumn[] {
  return scoredColumns(k).map((c) => rankColumn(proba, yTrue, k, c));
}

/**
 * rocAuc over every row once, without ranking rows: per class column, the positives' and the
 * negatives' score keys, each sorted, walked together a tie group at a time. The sums are the
 * same integers (and halves) as columnAuc's unweighted sweep adds, so the result is the same
 * number. Undefined for float64 scores or any NaN score (where each NaN row is a tie group of its
 * own, in row order), which rocAuc handles.
 */
function unweightedAuc(columns: ColumnKeys[] | undefined): number | undefined {
  if (!columns) return undefined;
  let sum = 0;
  for (const { positives, negatives } of columns) sum += sortedAuc(sortKeys(positives), sortKeys(negatives));
  return sum / columns.length;
}

/**
 * columnAuc's sum over the positives' and negatives' sorted keys (best score first), a negative at
 * a time: each adds the positives ranked above it and half of those tied with it. Every term is an
 * integer or a half, so the sum is exact in any order and equals the sweep's by tie group.
 */
function sortedAuc(pos: Uint32Array, neg: Uint32Array): number {
  let area = 0;
  let above = 0;
  let share = 0;
  let last = -1;
  for (let j = 0; j < neg.length; j++) {
    const key = neg[j]!;
    // A run of tied negatives shares one count: the positives are walked once in all.
    if (key !== last) {
      while (above < pos.length && pos[above]! < key) above++;
      let tied = above;
      while (tied < pos.length && pos[tied] === key) tied++;
      share = above + (tied - above) / 2;
      last = key;
    }
    area += share;
  }
  return pos.length > 0 && neg.length > 0 ? area / (pos.length * neg.length) : Number.NaN;
}

function rankColumn(proba: Probabilities, yTrue: Int32Array, k: number, c: number): RankedColumn {
  const n = yTrue.length;
  // Stable, so rows of one score keep their order; a NaN score ranks last, a tie group of its own.
  const { order, runEnd } = sortDescending(proba, k, c, n);
  // Stored in sorted order so that the sweep's only scattered read is the weight.
  const positive = new Uint8Array(n);
  for (let r = 0; r < n; r++) positive[r] = yTrue[order[r]!] === c ? 1 : 0;
  return { order, positive, groupEnd: runEnd };
}

function rocAuc(columns: RankedColumn[], weights?: Float64Array): number {
  let sum = 0;
  for (const column of columns) sum += columnAuc(column, weights);
  return sum / columns.length;
}

/**
 * Mann–Whitney form of the area under the ROC curve: the weighted share of (positive, negative) pairs
 * ranked correctly, a tie counting one half. It equals scikit-learn's trapezoid over roc_curve, whose
 * points are exactly the ends of the tie groups.
 */
function columnAuc(column: RankedColumn, weights?: Float64Array): number {
  if (weights) {
    column.split ??= splitColumn(column);
    return splitAuc(column.split, weights);
  }
  const { order, positive, groupEnd } = column;
  let above = 0;
  let negatives = 0;
  let area = 0;
  let groupPos = 0;
  let groupNeg = 0;
  for (let r = 0; r < order.length; r++) {
    const p = positive[r];
    groupPos += p ? 1 : 0;
    groupNeg += p ? 0 : 1;
    if (groupEnd[r]) {
      area += groupNeg * (above + groupPos / 2);
      above += groupPos;
      negatives += groupNeg;
      groupPos = 0;
      groupNeg = 0;
    }
  }
  return above > 0 && negatives > 0 ? area / (above * negatives) : Number.NaN;
}

function splitColumn({ order, positive, groupEnd }: RankedColumn): SplitColumn {
  let count = 0;
  for (let r = 0; r < order.length; r++) count += positive[r]!;
  const positives = new Int32Array(count);
  const negatives = new Int32Array(order.length - count);
  const above = new Int32Array(negatives.length);
  const upTo = new Int32Array(negatives.length);
  let p = 0;
  let q = 0;
  let before = 0; // positives in the groups before this one
  let groupFrom = 0; // this group's first negative
  for (let r = 0; r < order.length; r++) {
    if (positive[r]) positives[p++] = order[r]!;
    else {
      negatives[q] = order[r]!;
      above[q++] = before;
    }
    if (groupEnd[r]) {
      upTo.fill(p, groupFrom, q);
      groupFrom = q;
      before = p;
    }
  }
  return { positives, negatives, above, upTo, prefix: new Float64Array(count + 1) };
}

/**
 * columnAuc under weights, the bootstrap's innermost loop (a thousand resamples, every scored
 * column of both models). Twice the area is summed: each negative adds w · (A + A + G) for the
 * weight A above it and G tied with it. For whole-number weights (the bootstrap's counts, a slice's
 * 0 and 1) every sum is an exact integer, so the result is the one a sweep by tie group gives.
 */
function splitAuc({ positives, negatives, above, upTo, prefix }: SplitColumn, weights: Float64Array): number {
  let positive = 0;
  for (let i = 0; i < positives.length; i++) {
    positive += weights[positives[i]!]!;
    prefix[i + 1] = positive;
  }
  let twice = 0;
  let negative = 0;
  for (let j = 0; j < negatives.length; j++) {
    const w = weights[negatives[j]!]!;
    twice += w * (prefix[above[j]!]! + prefix[upTo[j]!]!);
    negative += w;
  }
  return positive > 0 && negative > 0 ? twice / 2 / (positive * negative) : Number.NaN;
}

/** ECE = Σ_b (W_b / W) · |accuracy_b − confidence_b| = Σ_b |Σ w·correct − Σ w·confidence| / W. */
function expectedCalibrationError(gap: Float64Array, total: number): number {
  let sum = 0;
  for (const g of gap) sum += Math.abs(g);
  return sum / total;
}
