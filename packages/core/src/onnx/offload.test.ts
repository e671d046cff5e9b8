import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mulberry32 } from '../metrics/random.ts';
import { PLANS } from './device.ts';
import { Dictionary } from './dictionary.ts';
import { type DenseLayer, mlpClassifier } from './models.ts';
import { Offload } from './offload.ts';
import { type ModelRun, ModelRunner } from './predict.ts';
import { openModel, openRuntime, type Runtime } from './session.ts';
import { planFeeds, planOutputs, signatureOf } from './signature.ts';

const quiet = { info() {}, warn() {}, notice() {}, debug() {}, progress() {} };
const FEATURES = ['a', 'b', 'c', 'd'];
const OPTIONS = { spin: false };

function layers(seed: number): DenseLayer[] {
  const r = mulberry32(seed);
  const dense = (inputs: number, outputs: number): DenseLayer => ({
    weights: Array.from({ length: inputs }, () => Array.from({ length: outputs }, () => r.normal())),
    bias: Array.from({ length: outputs }, () => r.normal() / 2),
  });
  return [dense(4, 16), dense(16, 3)];
}

/** Batches of rows × 4 float32 features, the same for every caller. */
function batches(count: number, rows: number) {
  const r = mulberry32(11);
  return Array.from({ length: count }, () => ({
    rows,
    features: Float32Array.from({ length: rows * FEATURES.length }, () => 3 * r.normal()),
  }));
}

describe('models run in a worker thread (offload)', () => {
  let dir: string;
  let runtime: Runtime;
  const files: Record<string, string> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modelship-offload-'));
    runtime = await openRuntime('cpu', quiet);
    files.indexes = join(dir, 'indexes.onnx');
    await writeFile(files.indexes, mlpClassifier({ layers: layers(1) }));
    files.names = join(dir, 'names.onnx');
    await writeFile(files.names, mlpClassifier({ layers: layers(2), classLabels: ['cat', 'dog', 'eel'] }));
    files.broken = join(dir, 'broken.onnx');
    await writeFile(files.broken, 'not a model');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const runner = async (file: string, dictionary: Dictionary) => {
    const opened = await openModel(runtime, file, { input: 'model', ...OPTIONS });
    const signature = signatureOf(opened.session);
    const columns = new Map(FEATURES.map((f) => [f, 'FLOAT']));
    const feeds = planFeeds(signature, FEATURES, columns, [], file);
    const outputs = planOutputs(signature, 'classification', {}, file);
    return new ModelRunner(runtime.ort, opened, { feeds, outputs }, FEATURES, dictionary);
  };

  it('records the predictions this thread records, with batches sent ahead of their results', async () => {
    const offload = new Offload(PLANS.cpu, [
      { file: files.indexes!, options: { input: 'model', ...OPTIONS } },
      { file: files.names!, options: { input: 'baseline', ...OPTIONS } },
    ]);
    try {
      assert.equal(await offload.ready, true);
      const data = batches(6, 257);
      for (const [index, file] of [files.indexes!, files.names!].entries()) {
        const here = await runner(file, new Dictionary());
        for (const batch of data) here.take(await here.score(batch), batch.rows);
        const there = await runner(file, new Dictionary());
        there.route(offload.scorer(index));
        // All sent before any is taken, each from a buffer refilled after sending, as scoring does.
        const buffer = new Float32Array(257 * FEATURES.length);
        const sent: Promise<ModelRun>[] = [];
        for (const batch of data) {
          buffer.set(batch.features);
          sent.push(there.score({ rows: batch.rows, features: buffer }));
          buffer.fill(Number.NaN);
        }
        for (const run of sent) there.take(await run, 257);
        const a = here.predictions();
        const b = there.predictions();
        assert.deepEqual(b.probabilities, a.probabilities);
        assert.deepEqual(b.labels, a.labels);
        assert.equal(b.batchRows.length, data.length);
        assert.ok(b.latencies.every((ms) => ms > 0));
      }
    } finally {
      await offload.close();
    }
  });

  it('rejects a run onnxruntime refuses with its message, and goes on running the next', async () => {
    const offload = new Offload(PLANS.cpu, [
      { file: files.indexes!, options: { input: 'model', ...OPTIONS } },
    ]);
    try {
      assert.equal(await offload.ready, true);
      const score = offload.scorer(0);
      const wrong = new runtime.ort.Tensor('float32', new Float32Array(6), [2, 3]);
      await assert.rejects(score({ input: wrong }, ['probabilities']), /input|dimension|shape/i);
      const right = new runtime.ort.Tensor('float32', new Float32Array(8), [2, 4]);
      const run = await score({ input: right }, ['probabilities']);
      assert.deepEqual(run.out.probabilities?.dims, [2, 3]);
    } finally {
      await offload.close();
    }
  });

  it('says it is not ready when a model does not open there, and runs nothing', async () => {
    const offload = new Offload(PLANS.cpu, [
      { file: files.broken!, options: { input: 'model', ...OPTIONS } },
    ]);
    assert.equal(await offload.ready, false);
    await assert.rejects(
      offload.scorer(0)({}, ['probabilities']),
      /could not open the models: .*broken\.onnx/,
    );
    await offload.close();
  });

  it('closed while starting, ends without having run anything', async () => {
    const offload = new Offload(PLANS.cpu, [
      { file: files.indexes!, options: { input: 'model', ...OPTIONS } },
    ]);
    await offload.close();
    assert.equal(await offload.ready, false);
  });
});
