/**
 * The demo's trainer: multinomial logistic regression (softmax) on the iris CSV by plain
 * full-batch gradient descent, written as an ONNX model with onnx/models.ts. Deterministic (no
 * randomness, a fixed number of iterations) so the same data always gives the same bytes.
 *
 *   node examples/train.ts [out.onnx] [--iterations N] [--data train.csv]
 *
 * Features are standardised for training (so one learning rate suits them all) and the scaling
 * is then folded into the weights, so the model takes the raw CSV columns in file order.
 * The committed baseline is this trainer stopped early: `--iterations 5`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { linearClassifier } from '@modelship/core/onnx/models.ts';

const LABEL = 'species';
const LEARNING_RATE = 0.5;
/** A little L2 keeps the weights finite on separable classes (setosa is). */
const L2 = 1e-2;

const root = join(import.meta.dirname, '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    iterations: { type: 'string', default: '300' },
    data: { type: 'string', default: join(root, 'examples', 'data', 'iris-train.csv') },
  },
});
const out = positionals[0] ?? join(root, 'examples', 'models', 'challenger.onnx');
const iterations = Number(values.iterations);
if (!Number.isInteger(iterations) || iterations < 0) {
  process.stderr.write(`--iterations must be a whole number, got '${values.iterations}'\n`);
  process.exit(2);
}

interface Dataset {
  features: string[];
  x: number[][];
  labels: string[];
}

function readCsv(file: string): Dataset {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const columns = header!.split(',');
  const labelAt = columns.indexOf(LABEL);
  if (labelAt < 0) throw new Error(`${file} has no '${LABEL}' column`);
  const x: number[][] = [];
  const labels: string[] = [];
  for (const [i, line] of lines.entries()) {
    const cells = line.split(',');
    labels.push(cells[labelAt]!);
    x.push(
      cells
        .filter((_, j) => j !== labelAt)
        .map((cell) => {
          const v = Number(cell);
          if (cell !== '' && Number.isFinite(v)) return v;
          throw new Error(`${file}:${i + 2}: '${cell}' is not a number`);
        }),
    );
  }
  return { features: columns.filter((_, j) => j !== labelAt), x, labels };
}

/** Per-feature mean and (population) standard deviation; a constant column gets 1. */
function moments(x: number[][], features: number) {
  const mean = Array.from({ length: features }, (_, j) => x.reduce((s, r) => s + r[j]!, 0) / x.length);
  const std = mean.map((m, j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / x.length) || 1);
  return { mean, std };
}

function softmaxRows(x: number[][], w: number[][], b: number[]): number[][] {
  return x.map((row) => {
    const z = b.map((bk, k) => row.reduce((s, v, j) => s + v * w[j]![k]!, bk));
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const total = e.reduce((a, c) => a + c, 0);
    return e.map((v) => v / total);
  });
}

/** Full-batch gradient descent on mean cross-entropy + L2/2·|W|²; returns W (features × classes), b. */
function train(x: number[][], y: number[], classes: number, steps: number) {
  const n = x.length;
  const features = x[0]!.length;
  const w = Array.from({ length: features }, () => new Array<number>(classes).fill(0));
  const b = new Array<number>(classes).fill(0);
  const every = Math.max(1, Math.round(steps / 10));
  const started = Date.now();
  for (let step = 1; step <= steps; step++) {
    const p = softmaxRows(x, w, b);
    // Gradient of the mean cross-entropy wrt the logits: (p - onehot(y)) / n.
    const g = p.map((row, i) => row.map((v, k) => (v - (y[i] === k ? 1 : 0)) / n));
    for (let k = 0; k < classes; k++) {
      b[k]! -= LEARNING_RATE * g.reduce((s, row) => s + row[k]!, 0);
      for (let j = 0; j < features; j++) {
        const grad = g.reduce((s, row, i) => s + row[k]! * x[i]![j]!, 0) + L2 * w[j]![k]!;
        w[j]![k]! -= LEARNING_RATE * grad;
      }
    }
    if (step % every === 0 || step === steps) {
      const loss = -p.reduce((s, row, i) => s + Math.log(row[y[i]!]!), 0) / n;
      const rate = step / Math.max((Date.now() - started) / 1000, 1e-3);
      const eta = (steps - step) / rate;
      process.stderr.write(
        `  ${Math.round((100 * step) / steps)}% iteration ${step}/${steps}  loss ${loss.toFixed(4)}  ` +
          `${Math.round(rate)} it/s  eta ${eta.toFixed(1)}s\n`,
      );
    }
  }
  return { w, b };
}

const data = readCsv(values.data);
const classes = [...new Set(data.labels)].sort();
const y = data.labels.map((label) => classes.indexOf(label));
const { mean, std } = moments(data.x, data.features.length);
const standardised = data.x.map((row) => row.map((v, j) => (v - mean[j]!) / std[j]!));

process.stderr.write(
  `training softmax regression on ${data.x.length} rows of ${relative(root, values.data)} ` +
    `(${data.features.join(', ')} → ${LABEL}: ${classes.join(', ')}), ${iterations} iterations\n`,
);
const model = train(standardised, y, classes.length, iterations);

// (x - mean) / std · W + b  =  x · (W / std) + (b - Σ mean / std · W)
const weights = model.w.map((row, j) => row.map((v) => v / std[j]!));
const bias = model.b.map((bk, k) => bk - weights.reduce((s, row, j) => s + mean[j]! * row[k]!, 0));

const predicted = softmaxRows(data.x, weights, bias).map((p) => p.indexOf(Math.max(...p)));
const accuracy = predicted.filter((k, i) => k === y[i]).length / y.length;

const bytes = linearClassifier({
  weights,
  bias,
  classLabels: classes,
  metadata: {
    'modelship.trainer': 'examples/train.ts',
    'modelship.features': data.features.join(','),
    'modelship.label': LABEL,
    'modelship.iterations': String(iterations),
    'modelship.train_accuracy': accuracy.toFixed(4),
  },
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bytes);
process.stdout.write(
  `training accuracy ${(100 * accuracy).toFixed(1)}% (${Math.round(accuracy * y.length)}/${y.length}); ` +
    `wrote ${out} (${bytes.length} bytes)\n`,
);
