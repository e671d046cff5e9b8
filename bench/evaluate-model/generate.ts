/**
 * 1,000,000 rows × 20 float features and an integer label 0..2, written as CSV (and the same rows
 * as Parquet) with DuckDB, plus two 3-class ONNX models built with core's models.ts: a logistic
 * regression close to the hidden model that made the labels, and a 20→64→64→3 MLP. Deterministic
 * (seeded weights, DuckDB's setseed on one thread) so runs compare; regenerated when a file is missing.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { mulberry32 } from '../../packages/core/src/metrics/random.ts';
import { type DenseLayer, linearClassifier, mlpClassifier } from '../../packages/core/src/onnx/models.ts';

export const FEATURES = 20;
export const CLASSES = 3;
export const HIDDEN = 64;

const matrix = (rows: number, cols: number, f: (i: number, j: number) => number) =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => f(i, j)));

/** The hidden model: logits = x·W + b, plus Gumbel noise, so argmax is a softmax draw. */
function hiddenModel() {
  const r = mulberry32(7);
  return { weights: matrix(FEATURES, CLASSES, () => r.normal()), bias: [0.2, -0.1, -0.1] };
}

function models(hidden: DenseLayer) {
  const r = mulberry32(11);
  const lr = linearClassifier({
    weights: hidden.weights.map((row) => row.map((w) => w + 0.15 * r.normal())),
    bias: [...hidden.bias],
  });
  // Seeded random weights, with the hidden model carried through units 0..5 (as ReLU(z) − ReLU(−z))
  // so the baseline scores well above chance and the comparison means something.
  const W = hidden.weights;
  const small = (scale: number) => () => scale * r.normal();
  const l1: DenseLayer = {
    weights: matrix(FEATURES, HIDDEN, (i, j) =>
      j < CLASSES ? W[i]![j]! : j < 2 * CLASSES ? -W[i]![j - CLASSES]! : small(1 / Math.sqrt(FEATURES))(),
    ),
    bias: Array.from({ length: HIDDEN }, (_, j) => (j < 2 * CLASSES ? 0 : 0.1 * r.normal())),
  };
  const l2: DenseLayer = {
    weights: matrix(HIDDEN, HIDDEN, (i, j) =>
      j < 2 * CLASSES ? (i === j ? 1 : 0) : small(1 / Math.sqrt(HIDDEN))(),
    ),
    bias: Array.from({ length: HIDDEN }, (_, j) => (j < 2 * CLASSES ? 0 : 0.1 * r.normal())),
  };
  const l3: DenseLayer = {
    weights: matrix(HIDDEN, CLASSES, (i, c) =>
      i === c ? 1 : i === c + CLASSES ? -1 : i < 2 * CLASSES ? 0 : small(0.3)(),
    ),
    bias: [...hidden.bias],
  };
  const mlp = mlpClassifier({ layers: [l1, l2, l3] });
  return { lr, mlp };
}

/** The logistic regression alone, the same bytes generate() writes as lr.onnx (bench/serve serves it). */
export function logisticRegression(): Uint8Array {
  return models(hiddenModel()).lr;
}

export async function generate(dir: string, rows = 1_000_000) {
  const data = join(dir, 'data.csv');
  const parquet = join(dir, 'data.parquet');
  const model = join(dir, 'lr.onnx');
  const baseline = join(dir, 'mlp.onnx');
  const out = { data, parquet, model, baseline };
  if (Object.values(out).every((f) => existsSync(f))) return out;
  await mkdir(dir, { recursive: true });
  const hidden = hiddenModel();
  const { lr, mlp } = models(hidden);
  await writeFile(model, lr);
  await writeFile(baseline, mlp);

  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  await c.run('SELECT setseed(0.3)');
  const f = Array.from({ length: FEATURES }, (_, i) => `f${i}`);
  // Roughly normal features (sum of three uniforms), four decimals as an exporter would write.
  const features = f.map((n) => `round((random() + random() + random() - 1.5) * 2, 4) AS ${n}`);
  const gumbel = '(-ln(-ln(random())))';
  const logits = Array.from(
    { length: CLASSES },
    (_, k) =>
      `${hidden.bias[k]} + ${f.map((n, i) => `${hidden.weights[i]![k]} * ${n}`).join(' + ')} + ${gumbel} AS l${k}`,
  );
  await c.run(`COPY (
    SELECT ${f.join(', ')},
      CASE WHEN l0 >= l1 AND l0 >= l2 THEN 0 WHEN l1 >= l2 THEN 1 ELSE 2 END AS label
    FROM (SELECT *, ${logits.join(', ')} FROM (SELECT ${features.join(', ')} FROM range(${rows})))
  ) TO '${data.replace(/'/g, "''")}' (HEADER)`);
  // The same rows as Parquet (DOUBLE columns, BIGINT label), read back from the CSV so they match.
  await c.run(
    `COPY (SELECT * FROM read_csv('${data.replace(/'/g, "''")}', header = true)) TO '${parquet.replace(/'/g, "''")}' (FORMAT parquet)`,
  );
  c.closeSync();
  db.closeSync();
  return out;
}

if (import.meta.main) {
  const out = await generate(process.argv[2] ?? join(import.meta.dirname, '..', '.work', 'evaluate-model'));
  console.log(out);
}
