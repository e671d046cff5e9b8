/**
 * Each model's classification metrics prepared batch by batch while the data is still being read
 * (the main thread mostly waits on the reader then), so that once the last batch is scored only
 * the ROC AUC sorts are left. Rows need class indexes, and the class order is only settled when
 * every label has been seen; it is known early in the usual cases, class-labels given or integer
 * labels 0..k−1 under k probability columns. The prepared terms are used only when the order the
 * whole data settles on (resolveClasses) is that same order; otherwise analyse prepares from the
 * rows as it would without them.
 */
import { ClassificationRows, preparedClassification } from '../../metrics/classification.ts';
import type { Dictionary } from '../../onnx/dictionary.ts';
import type { Predictions } from '../../onnx/predict.ts';
import { argmax, classIndex, recode } from './classes.ts';
import { type Measured, type Outcome, wrapClassification } from './measure.ts';

/** What scoring has kept so far, every row up to `rows`. */
export interface ScoredSoFar {
  rows: number;
  truth: Int32Array | Float64Array;
  classes: Dictionary;
  predictions: Predictions[];
}

export class EarlyMetrics {
  private readonly classLabels: readonly string[];
  /** Class names in probability-column order, once known; the rows so far are prepared under them. */
  private names: string[] | undefined;
  private index: ((key: string) => number) | undefined;
  /** Class index of each label code seen so far. */
  private remap = new Int32Array(0);
  private models: ClassificationRows[] | undefined;
  private done = 0;
  private givenUp = false;

  constructor(classLabels: readonly string[]) {
    this.classLabels = classLabels;
  }

  /** Takes in the rows scored since the last call; gives up for good at anything unusual. */
  add(seen: ScoredSoFar): void {
    if (this.givenUp || seen.rows === this.done) return;
    let added = false;
    try {
      added = this.addRows(seen);
    } catch {
      // Rows the metrics would refuse: analyse meets them again and says what is wrong.
    }
    if (!added) this.giveUp();
  }

  private addRows({ rows, truth, classes, predictions }: ScoredSoFar): boolean {
    if (!(truth instanceof Int32Array)) return false;
    if (!this.names) {
      const width = predictions.find((p) => p.classes !== undefined)?.classes;
      const names = this.classLabels.length
        ? [...this.classLabels]
        : width !== undefined
          ? Array.from({ length: width }, (_, i) => String(i))
          : undefined;
      if (!names || names.length < 2) return false;
      this.names = names;
      this.index = classIndex(names);
      this.models = predictions.map(() => new ClassificationRows(names.length));
    }
    const k = this.names.length;
    if (this.remap.length < classes.keys.length) {
      this.remap = Int32Array.from(classes.keys, this.index!);
      // A label outside the order known so far means the order is not the one the data settles on.
      if (this.remap.includes(-1)) return false;
    }
    const from = this.done;
    const yTrue = recode(truth.subarray(from, rows), this.remap);
    for (let m = 0; m < predictions.length; m++) {
      const { labels, probabilities, classes: width } = predictions[m]!;
      if (probabilities && width !== k) return false;
      const proba = probabilities?.subarray(from * k, rows * k);
      const yPred = labels ? recode(labels.subarray(from, rows), this.remap) : proba && argmax(proba, k);
      if (!yPred) return false;
      this.models![m]!.add(yTrue, yPred, proba);
    }
    this.done = rows;
    return true;
  }

  private giveUp(): void {
    this.givenUp = true;
    this.models = undefined;
  }

  /**
   * Each model's prepared metrics for these outcomes (every row, under the final class order
   * `names`); undefined when the rows were not all taken in under that same order.
   */
  take(outcomes: Outcome[], names: readonly string[]): Measured[] | undefined {
    const models = this.models;
    const same =
      models &&
      this.names &&
      names.length === this.names.length &&
      names.every((n, i) => n === this.names![i]) &&
      models.length === outcomes.length &&
      outcomes.every((o) => o.truth.length === this.done);
    if (!same) return undefined;
    return outcomes.map((outcome, m) => ({
      outcome,
      regression: false,
      prepared: wrapClassification(
        preparedClassification(
          {
            yTrue: outcome.truth as Int32Array,
            yPred: outcome.predicted as Int32Array,
            k: outcome.k,
            proba: outcome.proba,
          },
          models[m]!,
        ),
      ),
    }));
  }
}
