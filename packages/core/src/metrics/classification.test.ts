import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng } from '../../../../test/support/scipy.ts';
import { type SklearnClassification, sklearn } from '../../../../test/support/sklearn.ts';
import {
  type ClassificationReport,
  ClassificationRows,
  classificationMetrics,
  LABEL_METRICS,
  PROBABILITY_METRICS,
  prepareClassification,
  preparedClassification,
} from './classification.ts';

/** Equal to 1e-6 relative, or 1e-12 absolute near 0; null (sklearn refused or undefined) must be NaN. */
function close(actual: number | undefined, expected: number | null | undefined, what: string): void {
  if (expected === null || expected === undefined) {
    assert.ok(Number.isNaN(actual), `${what}: ${actual}, expected NaN`);
    return;
  }
  assert.ok(actual !== undefined, `${what} missing`);
  const diff = Math.abs(actual - expected);
  assert.ok(diff <= 1e-12 || diff <= 1e-6 * Math.abs(expected), `${what}: ${actual} vs sklearn ${expected}`);
}

interface Case {
  name: string;
  k: number;
  yTrue: number[];
  yPred: number[];
  proba?: number[];
  float32?: boolean;
  weights?: number[];
}

/**
 * Rows whose true class drives its logit up by `signal`; `ties` rounds logits to integers so that
 * columns take a handful of values, and predictions are the argmax.
 */
function data(
  seed: number,
  n: number,
  k: number,
  options: { ties?: boolean; float32?: boolean; signal?: number } = {},
) {
  const r = rng(seed);
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const proba: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = Math.min(k - 1, Math.floor(r.next() * k));
    const logits = Array.from({ length: k }, (_, j) => r.normal() + (j === y ? (options.signal ?? 1.2) : 0));
    const z = logits.map((l) => Math.exp(options.ties ? Math.round(l) : l));
    const sum = z.reduce((s, v) => s + v, 0);
    const p = z.map((v) => v / sum);
    yTrue.push(y);
    yPred.push(p.indexOf(Math.max(...p)));
    proba.push(...(options.float32 ? Array.from(Float32Array.from(p)) : p));
  }
  return { k, yTrue, yPred, proba, float32: options.float32 ?? false };
}

/** Bootstrap-like counts: n draws of a row index. */
function drawCounts(seed: number, n: number): number[] {
  const r = rng(seed);
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(r.next() * n)]!++;
  return counts;
}

function fractional(seed: number, n: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r.next() < 0.05 ? 0 : 2 * r.next()));
}

function oneHot(yTrue: number[], k: number): number[] {
  return yTrue.flatMap((y) => Array.from({ length: k }, (_, j) => (j === y ? 1 : 0)));
}

const cases: Case[] = [
  { name: 'binary', ...data(1, 500, 2) },
  {
    name: 'binary, tied scores, bootstrap counts',
    ...data(2, 400, 2, { ties: true }),
    weights: drawCounts(3, 400),
  },
  {
    name: 'binary float32, fractional weights',
    ...data(4, 300, 2, { float32: true }),
    weights: fractional(5, 300),
  },
  { name: '3 classes', ...data(6, 600, 3) },
  {
    name: '3 classes, tied scores, bootstrap counts',
    ...data(7, 600, 3, { ties: true }),
    weights: drawCounts(8, 600),
  },
  {
    name: '3 classes float32, fractional weights',
    ...data(9, 500, 3, { float32: true }),
    weights: fractional(10, 500),
  },
  { name: '5 classes', ...data(11, 1000, 5) },
  {
    name: '5 classes float32, tied scores, counts',
    ...data(12, 900, 5, { ties: true, float32: true }),
    weights: drawCounts(13, 900),
  },
  { name: '5 classes, fractional weights', ...data(14, 800, 5), weights: fractional(15, 800) },
  // Losses near 1e-6, where numpy's float32 clip, sum and division are the whole difference.
  { name: 'float32, confident', ...data(24, 300, 3, { float32: true, signal: 14 }) },
];

// A class never predicted: the model's class-2 predictions become class 0.
const never = data(16, 500, 3);
cases.push({ name: 'a class never predicted', ...never, yPred: never.yPred.map((p) => (p === 2 ? 0 : p)) });

// A class absent from yTrue but predicted: sklearn defines all but roc_auc, which it refuses.
const absent = data(17, 600, 5);
const keep = absent.yTrue.map((y) => y !== 4);
const pick = <T>(xs: T[], width = 1) => xs.filter((_, i) => keep[Math.floor(i / width)]);
cases.push({
  name: 'a class absent from yTrue',
  k: 5,
  yTrue: pick(absent.yTrue),
  yPred: pick(absent.yPred),
  proba: pick(absent.proba, 5),
});

// A class absent from yTrue and from yPred: it leaves every macro average.
const unused = data(18, 400, 4);
cases.push({
  name: 'a class absent everywhere',
  k: 5,
  yTrue: unused.yTrue,
  yPred: unused.yPred,
  proba: unused.proba.flatMap((p, i) => (i % 4 === 3 ? [p, 0] : [p])),
});

const perfect = data(19, 300, 3).yTrue;
cases.push({ name: 'perfect predictions', k: 3, yTrue: perfect, yPred: perfect, proba: oneHot(perfect, 3) });
cases.push({
  name: 'perfect predictions, float32',
  k: 3,
  yTrue: perfect,
  yPred: perfect,
  proba: oneHot(perfect, 3),
  float32: true,
});

const single = data(20, 200, 2);
cases.push({ name: 'binary, yTrue of one class', ...single, yTrue: single.yTrue.map(() => 1) });
cases.push({ name: 'labels only', k: 3, yTrue: data(21, 300, 3).yTrue, yPred: data(22, 300, 3).yTrue });

// Zero weights on every row of class 2 (true or predicted): class 2 is absent, as if never drawn.
const hidden = data(23, 500, 3);
cases.push({
  name: 'zero weights hide a class',
  ...hidden,
  weights: hidden.yTrue.map((y, i) => (y === 2 || hidden.yPred[i] === 2 ? 0 : 1 + (i % 3))),
});

/** Our convention: a zero-weight row is absent, so sklearn sees only the rows of positive weight. */
function sklearnCase(c: Case) {
  const rows = c.yTrue.map((_, i) => i).filter((i) => !c.weights || c.weights[i]! > 0);
  const proba = c.proba ? rows.flatMap((i) => c.proba!.slice(i * c.k, (i + 1) * c.k)) : null;
  return {
    fn: 'classification' as const,
    args: [
      rows.map((i) => c.yTrue[i]!),
      rows.map((i) => c.yPred[i]!),
      c.k,
      proba,
      c.float32 ? 'float32' : 'float64',
      c.weights ? rows.map((i) => c.weights![i]!) : null,
    ] as [number[], number[], number, number[] | null, string, number[] | null],
  };
}

function ours(c: Case): ClassificationReport {
  const proba = c.proba && (c.float32 ? Float32Array.from(c.proba) : Float64Array.from(c.proba));
  const input = { yTrue: Int32Array.from(c.yTrue), yPred: Int32Array.from(c.yPred), k: c.k, proba };
  return classificationMetrics(input, c.weights && Float64Array.from(c.weights));
}

function compare(got: ClassificationReport, want: SklearnClassification, withProba: boolean): void {
  const names: string[] = [...LABEL_METRICS];
  if (withProba) names.push(...PROBABILITY_METRICS);
  else assert.equal(got.scores.roc_auc, undefined);
  for (const name of names) {
    close(
      got.scores[name as keyof typeof got.scores],
      want[name as keyof SklearnClassification] as number,
      name,
    );
  }
  const { precision, recall, f1, support } = got.perClass;
  const perClass = { precision, recall, f1, support };
  Object.entries(perClass).forEach(([name, values], m) => {
    for (const [c, v] of values.entries()) close(v, want.per_class[m]![c], `${name} of class ${c}`);
  });
  for (const [i, row] of got.confusion.entries()) {
    for (const [j, v] of row.entries()) close(v, want.confusion[i]![j], `confusion ${i},${j}`);
  }
}

describe('classification metrics agree with scikit-learn 1.2.1', () => {
  const expected = sklearn(cases.map(sklearnCase)) as SklearnClassification[];
  cases.forEach((c, i) => {
    it(c.name, () => compare(ours(c), expected[i]!, c.proba !== undefined));
  });

  it('roc_auc is NaN exactly where sklearn refuses it', () => {
    const refused = cases.filter((_, i) => expected[i]!.roc_auc === null).map((c) => c.name);
    assert.deepEqual(refused, [
      'a class absent from yTrue',
      'a class absent everywhere',
      'binary, yTrue of one class',
      'zero weights hide a class',
    ]);
  });
});

describe('weights count rows', () => {
  it('integer weights equal sklearn on the rows repeated', () => {
    const base = data(30, 300, 4, { ties: true });
    const weights = drawCounts(31, 300);
    const repeated: Case = { name: 'repeated', k: 4, yTrue: [], yPred: [], proba: [] };
    weights.forEach((w, i) => {
      for (let j = 0; j < w; j++) {
        repeated.yTrue.push(base.yTrue[i]!);
        repeated.yPred.push(base.yPred[i]!);
        repeated.proba!.push(...base.proba.slice(i * 4, i * 4 + 4));
      }
    });
    const [want] = sklearn([sklearnCase(repeated)]) as SklearnClassification[];
    compare(ours({ ...base, name: 'weighted', weights }), want!, true);
  });

  it('one preparation serves many weight vectors', () => {
    const c = data(32, 500, 3, { ties: true });
    const input = {
      yTrue: Int32Array.from(c.yTrue),
      yPred: Int32Array.from(c.yPred),
      k: 3,
      proba: Float64Array.from(c.proba),
    };
    const prepared = prepareClassification(input);
    for (const seed of [33, 34, 35]) {
      const w = Float64Array.from(drawCounts(seed, 500));
      assert.deepEqual(prepared.compute(w), classificationMetrics(input, w));
    }
    assert.deepEqual(prepared.compute(), prepared.compute(new Float64Array(500).fill(1)));
  });

  it('every row once, from sorted float32 scores, equals weights of 1 over ranked rows, exactly', () => {
    for (const [seed, n, k] of [
      [40, 3000, 3],
      [41, 70_000, 2],
      [42, 500, 4],
    ] as const) {
      const c = data(seed, n, k, { ties: true });
      const proba = Float32Array.from(c.proba);
      const input = { yTrue: Int32Array.from(c.yTrue), yPred: Int32Array.from(c.yPred), k, proba };
      const ones = new Float64Array(n).fill(1);
      assert.deepEqual(prepareClassification(input).compute(), prepareClassification(input).compute(ones));
      proba[k + 1] = Number.NaN; // a NaN score is a tie group of its own: the ranked sweep counts it
      assert.deepEqual(prepareClassification(input).compute(), prepareClassification(input).compute(ones));
    }
  });

  it('rows taken in batch by batch give the same metrics as all at once, exactly', () => {
    for (const [seed, n, k, float32] of [
      [43, 5000, 3, true],
      [44, 3000, 2, true],
      [45, 2000, 4, false],
    ] as const) {
      const c = data(seed, n, k, { ties: true, float32 });
      const proba = float32 ? Float32Array.from(c.proba) : Float64Array.from(c.proba);
      const input = { yTrue: Int32Array.from(c.yTrue), yPred: Int32Array.from(c.yPred), k, proba };
      const rows = new ClassificationRows(k);
      for (let from = 0; from < n; from += 1024) {
        const to = Math.min(n, from + 1024);
        rows.add(
          input.yTrue.subarray(from, to),
          input.yPred.subarray(from, to),
          proba.subarray(from * k, to * k),
        );
      }
      const batched = preparedClassification(input, rows);
      const whole = prepareClassification(input);
      assert.deepEqual(batched.compute(), whole.compute());
      const w = Float64Array.from(drawCounts(seed, n));
      assert.deepEqual(batched.compute(w), whole.compute(w));
    }
  });

  it('total weight 0 gives NaN', () => {
    const c = data(36, 50, 3);
    const input = {
      yTrue: Int32Array.from(c.yTrue),
      yPred: Int32Array.from(c.yPred),
      k: 3,
      proba: Float64Array.from(c.proba),
    };
    const { scores } = classificationMetrics(input, new Float64Array(50));
    for (const [name, v] of Object.entries(scores)) assert.ok(Number.isNaN(v), name);
  });

  it('rejects classes outside 0..k−1 and mismatched lengths', () => {
    const yTrue = Int32Array.from([0, 1, 2]);
    assert.throws(
      () => prepareClassification({ yTrue, yPred: Int32Array.from([0, 1, 3]), k: 3 }),
      RangeError,
    );
    assert.throws(
      () => prepareClassification({ yTrue, yPred: yTrue, k: 3, proba: new Float64Array(8) }),
      RangeError,
    );
    assert.throws(
      () => prepareClassification({ yTrue, yPred: yTrue, k: 3 }).compute(new Float64Array(2)),
      RangeError,
    );
  });
});
