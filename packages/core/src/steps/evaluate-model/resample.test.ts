import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../metrics/random.ts';
import { compare, measure, type Outcome } from './measure.ts';
import { startResampling } from './resample.ts';

/** Two 3-class models on the same rows, with ties in the baseline's scores (rounded). */
function outcomes(n: number): [Outcome, Outcome] {
  const r = mulberry32(n);
  const k = 3;
  const truth = Int32Array.from({ length: n }, () => Math.floor(r.uniform() * k));
  const model = (signal: number, round: boolean): Outcome => {
    const proba = new Float32Array(n * k);
    const predicted = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: k }, (_, j) => Math.exp(r.normal() + (j === truth[i] ? signal : 0)));
      const sum = z.reduce((a, b) => a + b, 0);
      z.forEach((v, j) => {
        proba[i * k + j] = round ? Math.round((v / sum) * 20) / 20 : v / sum;
      });
      predicted[i] = z.indexOf(Math.max(...z));
    }
    return { truth, predicted, proba, k };
  };
  return [model(1, false), model(0.6, true)];
}

describe('the bootstrap in a worker', () => {
  it('gives the comparison the main thread gives alone, for the same seed', async () => {
    const [a, b] = outcomes(25_000);
    const options = { resamples: 200, seed: 5 };
    const resampled = await startResampling(a, b, false, options, 0);
    assert.ok(resampled, 'the worker ran');
    const alone = compare(measure(a, false), measure(b, false), options);
    const beside = compare(measure(a, false), measure(b, false), options, resampled);
    assert.deepEqual(beside, alone);
    assert.equal(alone.bootstrap?.rows_per_resample, 10_000);
  });

  it('is not started for few rows, nor without resamples', async () => {
    const [a, b] = outcomes(2_000);
    assert.equal(await startResampling(a, b, false, { resamples: 100, seed: 1 }), undefined);
    assert.equal(await startResampling(a, b, false, { resamples: 0, seed: 1 }, 0), undefined);
  });
});
