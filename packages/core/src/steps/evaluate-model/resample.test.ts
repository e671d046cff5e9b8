import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../metrics/random.ts';
import { compare, measure, type Outcome } from './measure.ts';
import { Resampler } from './resample.ts';

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
    const resampled = await new Resampler(0).run(a, b, false, options);
    assert.ok(resampled, 'the worker ran');
    const alone = compare(measure(a, false), measure(b, false), options);
    const beside = compare(measure(a, false), measure(b, false), options, resampled);
    assert.deepEqual(beside, alone);
    assert.equal(alone.bootstrap?.rows_per_resample, 10_000);
  });

  it('started early, waits for its job, and is closed when none comes', async () => {
    const [a, b] = outcomes(25_000);
    const options = { resamples: 50, seed: 9 };
    const early = new Resampler(0);
    early.warm();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const resampled = await early.run(a, b, false, options);
    const alone = compare(measure(a, false), measure(b, false), options);
    assert.deepEqual(compare(measure(a, false), measure(b, false), options, resampled), alone);
    const unused = new Resampler(0);
    unused.warm();
    assert.equal(await unused.close(), undefined);
  });

  it('is not started for few rows, nor without resamples', async () => {
    const [a, b] = outcomes(2_000);
    assert.equal(await new Resampler().run(a, b, false, { resamples: 100, seed: 1 }), undefined);
    assert.equal(await new Resampler(0).run(a, b, false, { resamples: 0, seed: 1 }), undefined);
  });
});
