/**
 * What the classification metrics need of each row, taken in as rows arrive: the unweighted sums
 * over rows (confusion counts, log loss, calibration gaps) and the ROC AUC keys of each scored
 * column split by class; each row's own terms, for weights, come from rowTerms. evaluate-model
 * feeds it batch by batch while the data is still being read, so only the key sorts are left once
 * the last batch is scored; a whole sample fed at once is the same computation
 * (prepareClassification does exactly that).
 */
import { float32Key, NAN_KEY } from './argsort.ts';

/** Expected calibration error uses this many equal-width confidence bins over [0, 1]. */
export const ECE_BINS = 10;

export type Probabilities = Float32Array | Float64Array;

/** What the weighted sums need of each row, found once: its log loss and its calibration bin and gap. */
export interface RowTerms {
  loss: Float64Array;
  bin: Uint8Array;
  /** 1 if the row's argmax is its class, else 0; minus its confidence. */
  gap: Float64Array;
}

/** The sums over rows that every metric is made from. */
export interface RowSums {
  /** k×k, row-major: rows = true class, columns = predicted. */
  confusion: Float64Array;
  /** Σ w · log loss. */
  loss: number;
  /** Per calibration bin, Σ w · (correct − confidence). */
  gap: Float64Array;
  /** Σ w. */
  total: number;
}

/** One scored column's keys (float32Key), positives' and negatives' apart, in row order. */
export interface ColumnKeys {
  column: number;
  positives: Uint32Array;
  negatives: Uint32Array;
}

/** Keys kept in one array that grows by doubling: no array per batch, nothing to join at the end. */
class KeyList {
  data = new Uint32Array(0);
  length = 0;

  /** Room for `extra` more keys. */
  reserve(extra: number): Uint32Array {
    if (this.length + extra > this.data.length) {
      const next = new Uint32Array(Math.max(this.data.length * 2, this.length + extra, 4096));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    return this.data;
  }

  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

// Binary ROC AUC scores proba column 1 only (roc_auc_score(y, P[:, 1])); multiclass scores every column.
export const scoredColumns = (k: number) => (k === 2 ? [1] : Array.from({ length: k }, (_, c) => c));

export class ClassificationRows {
  readonly k: number;
  rows = 0;
  /** The unweighted sums (every weight 1), added in row order as a weighted pass adds them. */
  private readonly sums: RowSums;
  private probabilities: 'float32' | 'float64' | 'none' | undefined;
  /**
   * Per scored column, its keys by class; undefined unless the scores are float32 and
   * none is NaN (rocAuc then ranks rows instead).
   */
  private keys: { positives: KeyList; negatives: KeyList }[] | undefined;

  constructor(k: number) {
    if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer ≥ 2, got ${k}`);
    this.k = k;
    this.sums = { confusion: new Float64Array(k * k), loss: 0, gap: new Float64Array(ECE_BINS), total: 0 };
  }

  /** The next rows: true and predicted classes 0..k−1, and their row-major n×k probabilities if any. */
  add(yTrue: Int32Array, yPred: Int32Array, proba?: Probabilities): void {
    const { k } = this;
    const n = yTrue.length;
    const kind = proba ? (proba instanceof Float32Array ? 'float32' : 'float64') : 'none';
    if (this.probabilities !== undefined && kind !== this.probabilities) {
      throw new RangeError(`probabilities changed from ${this.probabilities} to ${kind} between rows`);
    }
    this.probabilities = kind;
    if (yPred.length !== n) throw new RangeError(`${yPred.length} predictions for ${n} rows`);
    if (proba && proba.length !== n * k) throw new RangeError(`${proba.length} probabilities for ${n}×${k}`);
    for (let i = 0; i < n; i++) {
      const t = yTrue[i]!;
      const p = yPred[i]!;
      if (t < 0 || t >= k || p < 0 || p >= k) {
        throw new RangeError(`row ${this.rows + i}: class outside 0..${k - 1}`);
      }
    }
    const cm = this.sums.confusion;
    if (!proba) {
      for (let i = 0; i < n; i++) cm[yTrue[i]! * k + yPred[i]!]! += 1;
      this.rows += n;
      return;
    }
    // The same terms rowTerms keeps per row, added straight into the sums: every row once needs no more.
    const sums = this.sums;
    const loss = logLoss(proba, k);
    for (let i = 0; i < n; i++) {
      const y = yTrue[i]!;
      cm[y * k + yPred[i]!]! += 1;
      sums.loss += loss(i, y);
      const best = argmaxRow(proba, i, k);
      const top = proba[i * k + best]!;
      sums.gap[binOf(top)]! += (best === y ? 1 : 0) - top;
      sums.total += 1;
    }
    if (this.rows === 0 && kind === 'float32') {
      this.keys = scoredColumns(k).map(() => ({ positives: new KeyList(), negatives: new KeyList() }));
    }
    if (this.keys) this.keys = this.addKeys(this.keys, proba as Float32Array, yTrue);
    this.rows += n;
  }

  /** Each scored column's keys of these rows, by class; undefined from the first NaN score on. */
  private addKeys(keys: NonNullable<ClassificationRows['keys']>, proba: Float32Array, yTrue: Int32Array) {
    const { k } = this;
    const n = yTrue.length;
    const bits = new Uint32Array(proba.buffer, proba.byteOffset, proba.length);
    const columns = scoredColumns(k);
    for (let s = 0; s < columns.length; s++) {
      const c = columns[s]!;
      // Each key is written to both arrays and kept by one (its cursor moves): no branch on the class,
      // which is a coin flip per row. Hence one spare place at the end of each.
      const { positives, negatives } = keys[s]!;
      const pos = positives.reserve(n + 1);
      const neg = negatives.reserve(n + 1);
      let p = positives.length;
      let q = negatives.length;
      for (let i = 0, j = c; i < n; i++, j += k) {
        const key = float32Key(bits[j]!);
        if (key === NAN_KEY) return undefined;
        const positive = yTrue[i] === c ? 1 : 0;
        pos[p] = key;
        neg[q] = key;
        p += positive;
        q += 1 - positive;
      }
      positives.length = p;
      negatives.length = q;
    }
    return keys;
  }

  /** A copy of the unweighted sums. */
  unweightedSums(): RowSums {
    const { confusion, loss, gap, total } = this.sums;
    return { confusion: confusion.slice(), loss, gap: gap.slice(), total };
  }

  /** Each scored column's keys by class, every row added (views: a sort in place keeps them, sorted); undefined where rocAuc must rank rows. */
  columnKeys(): ColumnKeys[] | undefined {
    const columns = scoredColumns(this.k);
    return this.keys?.map((keys, s) => ({
      column: columns[s]!,
      positives: keys.positives.view(),
      negatives: keys.negatives.view(),
    }));
  }
}

/** Each row's log loss and calibration bin and gap, for sums under weights. */
export function rowTerms(proba: Probabilities, yTrue: Int32Array, k: number): RowTerms {
  const n = yTrue.length;
  const loss = new Float64Array(n);
  const bin = new Uint8Array(n);
  const gap = new Float64Array(n);
  const lossOf = logLoss(proba, k);
  for (let i = 0; i < n; i++) {
    const y = yTrue[i]!;
    loss[i] = lossOf(i, y);
    const best = argmaxRow(proba, i, k);
    const top = proba[i * k + best]!;
    gap[i] = (best === y ? 1 : 0) - top;
    bin[i] = binOf(top);
  }
  return { loss, bin, gap };
}

/**
 * A row's log loss as sklearn 1.2.1's log_loss(eps='auto', labels=range(k)) computes it: clip to
 * [eps, 1 − eps] with eps of the input's float type, renormalise the row, take −log of the true class.
 * For float32 input numpy clips, sums and divides in float32, so those steps round through Math.fround:
 * a confident correct row's loss is about 1e-7, where float32 rounding is the whole difference.
 */
function logLoss(proba: Probabilities, k: number): (i: number, y: number) => number {
  const single = proba instanceof Float32Array;
  const round = single ? Math.fround : (x: number) => x;
  const eps = single ? 2 ** -23 : 2 ** -52;
  const high = 1 - eps;
  const row = new Float64Array(k);
  return (i, y) => {
    // Under 8 terms numpy sums in order: written out here, where calling `round` per term costs ~30%.
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const p = Math.min(Math.max(proba[i * k + j]!, eps), high);
      row[j] = p;
      sum = single ? Math.fround(sum + p) : sum + p;
    }
    if (k >= 8) sum = numpySum(row, 0, k, round);
    return -Math.log(round(row[y]! / sum));
  };
}

/** numpy's pairwise summation (sequential under 8 terms, 8 partial sums up to 128, halves above). */
function numpySum(xs: Float64Array, start: number, n: number, round: (x: number) => number): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s = round(s + xs[start + i]!);
    return s;
  }
  if (n > 128) {
    const half = Math.floor(n / 2) - (Math.floor(n / 2) % 8);
    return round(numpySum(xs, start, half, round) + numpySum(xs, start + half, n - half, round));
  }
  const r = xs.slice(start, start + 8);
  let i = 8;
  for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = round(r[j]! + xs[start + i + j]!);
  const pair = (a: number, b: number) => round(r[a]! + r[b]!);
  let s = round(round(pair(0, 1) + pair(2, 3)) + round(pair(4, 5) + pair(6, 7)));
  for (; i < n; i++) s = round(s + xs[start + i]!);
  return s;
}

/**
 * A row's confidence is its largest probability as given (not renormalised), its prediction the first
 * column holding it (numpy's argmax), and its bin min(floor(confidence · 10), 9): bins [0, 0.1), …,
 * [0.8, 0.9), [0.9, 1], so a confidence of exactly 1 joins the top bin.
 */
function argmaxRow(proba: Probabilities, i: number, k: number): number {
  let best = 0;
  let top = proba[i * k]!;
  for (let j = 1; j < k; j++) {
    if (proba[i * k + j]! > top) {
      top = proba[i * k + j]!;
      best = j;
    }
  }
  return best;
}

const binOf = (top: number) => Math.max(0, Math.min(Math.floor(top * ECE_BINS), ECE_BINS - 1));
