/**
 * The floor of bench/serve: the served model's work with no HTTP, no JSON and no queue. One
 * onnxruntime-node CPU session with the server's options, one warm-up run (as the server's), then
 * `calls` single-row `session.run` calls one after another, each timed. Prints one JSON line.
 *
 * Usage: node floor.ts <model.onnx> <calls>
 */
import * as ort from 'onnxruntime-node';
import { FEATURES, fixedRow, percentiles } from './stats.ts';

const [model, count] = process.argv.slice(2);
const calls = Number(count);
if (!model || !(calls > 0)) throw new Error('usage: floor.ts <model.onnx> <calls>');

const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
});
const input = session.inputNames[0]!;
// Every output, as the server fetches them all when a request names none.
const outputs = [...session.outputNames];
const row = Float32Array.from(fixedRow());
await session.run({ [input]: new ort.Tensor('float32', new Float32Array(FEATURES), [1, FEATURES]) }, outputs);

const times = new Float64Array(calls);
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < calls; i++) {
  const t0 = performance.now();
  await session.run({ [input]: new ort.Tensor('float32', row, [1, FEATURES]) }, outputs);
  times[i] = performance.now() - t0;
}
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
await session.release();

const [p50, p90, p99, max] = percentiles(times, [0.5, 0.9, 0.99, 1]);
process.stdout.write(
  `${JSON.stringify({
    calls,
    wallMs,
    callsPerSecond: calls / (wallMs / 1000),
    cpuMs: (used.user + used.system) / 1000,
    latencyMs: { p50, p90, p99, max, mean: wallMs / calls },
  })}\n`,
);
