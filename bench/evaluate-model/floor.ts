/**
 * The floor of evaluate-model: the feature columns read once into one Float32Array (DuckDB, the
 * reader modelship uses, chunk by chunk), then bare `session.run` loops over batches of it for
 * each model, and nothing else. Run as a cold process; prints its phases in milliseconds as JSON.
 *
 * Usage: node floor.ts <data.csv|data.parquet> <batch size> <model.onnx>…
 */
import { DuckDBInstance } from '@duckdb/node-api';
import * as ort from 'onnxruntime-node';

/** As generate.ts writes (not imported: the floor loads nothing but DuckDB and onnxruntime). */
const FEATURES = 20;

const started = performance.now();
const [file, size, ...models] = process.argv.slice(2);
const batch = Number(size);
if (!file || !batch || !models.length)
  throw new Error('usage: floor.ts <data.csv> <batch size> <model.onnx>…');

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
// As modelship's engine sets it (STREAM_BUFFER in data/engine.ts, not imported for the reason above):
// DuckDB's threads read this far ahead of the chunks taken.
await c.run("SET streaming_buffer_size = '64MB'");
const columns = Array.from({ length: FEATURES }, (_, j) => `CAST(f${j} AS FLOAT)`);
const path = `'${file.replace(/'/g, "''")}'`;
const reader = file.endsWith('.parquet') ? `read_parquet(${path})` : `read_csv(${path}, header = true)`;
const result = await c.stream(`SELECT ${columns.join(', ')} FROM ${reader}`);
let x = new Float32Array(1_000_000 * FEATURES);
let rows = 0;
for (;;) {
  const chunk = await result.fetchChunk();
  if (!chunk || chunk.rowCount === 0) break;
  const n = chunk.rowCount;
  if ((rows + n) * FEATURES > x.length) {
    const grown = new Float32Array(Math.max(x.length * 2, (rows + n) * FEATURES));
    grown.set(x.subarray(0, rows * FEATURES));
    x = grown;
  }
  // Columns to row-major [rows, features], as a [N, 20] input wants them.
  for (let j = 0; j < FEATURES; j++) {
    const items = (chunk.getColumnVector(j) as unknown as { items: Float32Array }).items;
    for (let r = 0, o = rows * FEATURES + j; r < n; r++, o += FEATURES) x[o] = items[r]!;
  }
  rows += n;
}
c.closeSync();
db.closeSync();
const read = performance.now();

const runs: { model: string; createMs: number; runMs: number }[] = [];
for (const model of models) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const t1 = performance.now();
  for (let r = 0; r < rows; r += batch) {
    const n = Math.min(batch, rows - r);
    const input = new ort.Tensor('float32', x.subarray(r * FEATURES, (r + n) * FEATURES), [n, FEATURES]);
    await session.run({ [session.inputNames[0]!]: input });
  }
  runs.push({ model, createMs: t1 - t0, runMs: performance.now() - t1 });
  await session.release();
}
const done = performance.now();
process.stdout.write(`${JSON.stringify({ rows, readMs: read - started, runs, totalMs: done - started })}\n`);
