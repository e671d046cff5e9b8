import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng } from '../../../../../test/support/scipy.ts';
import { hodgesLehmann } from '../../metrics/statistics/hodges-lehmann.ts';
import { mannWhitneyU } from '../../metrics/statistics/mann-whitney.ts';
import { type JudgeMetric, judge } from './judge.ts';

/** n samples around `center` with a relative spread (a latency or a rate per interval). */
function around(seed: number, n: number, center: number, spread = 0.05): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => center * (1 + spread * r.normal()));
}

const latency = (canary: number[], stable: number[], extra: Partial<JudgeMetric> = {}): JudgeMetric => ({
  name: 'latency-p95',
  canary,
  stable,
  direction: 'increase',
  ...extra,
});

const only = (m: JudgeMetric, options = {}) => judge([m], options).metrics[0]!;

describe('judge: one metric, canary against stable', () => {
  it('passes a canary drawn like the stable', () => {
    const m = only(latency(around(1, 30, 100), around(2, 30, 100)));
    assert.equal(m.classification, 'pass');
    assert.match(m.reason, /no significant shift/);
  });

  it('reports scipy’s p-value and the Hodges–Lehmann shift of canary − stable', () => {
    const canary = around(3, 40, 130);
    const stable = around(4, 35, 100);
    const m = only(latency(canary, stable));
    assert.equal(m.pValue, mannWhitneyU(canary, stable).pValue);
    assert.deepEqual(m.hodgesLehmann, hodgesLehmann(canary, stable, 0.98));
    assert.ok(m.hodgesLehmann!.estimate > 20 && m.hodgesLehmann!.estimate < 40);
    assert.equal(m.canary.n, 40);
    assert.ok(Math.abs(m.ratio! - m.canary.mean! / m.stable.mean!) < 1e-15);
  });

  it('classifies a slower canary high when latency must not increase', () => {
    const m = only(latency(around(5, 30, 150), around(6, 30, 100)));
    assert.equal(m.classification, 'high');
    assert.match(m.reason, /^canary higher than stable: 98 % interval of the shift .* mean \+\d+/);
  });

  it('passes a faster canary when only an increase is bad, and fails it for either', () => {
    const canary = around(7, 30, 60);
    const stable = around(8, 30, 100);
    const faster = only(latency(canary, stable));
    assert.equal(faster.classification, 'pass');
    assert.match(faster.reason, /harmless for direction increase/);
    assert.equal(only(latency(canary, stable, { direction: 'either' })).classification, 'low');
  });

  it('classifies a throughput drop low when a decrease is bad, and passes a rise', () => {
    const throughput = (canary: number[]) =>
      only({ name: 'throughput', canary, stable: around(10, 30, 200), direction: 'decrease' });
    assert.equal(throughput(around(9, 30, 120)).classification, 'low');
    assert.equal(throughput(around(11, 30, 300)).classification, 'pass');
  });

  it('passes a significant change smaller than the allowed effect size', () => {
    // +5 % with 1 % noise: clearly significant, but allowed up to 10 %.
    const canary = around(12, 40, 105, 0.01);
    const stable = around(13, 40, 100, 0.01);
    const allowed = only(latency(canary, stable, { allowedIncrease: 0.1 }));
    assert.equal(allowed.classification, 'pass');
    assert.match(allowed.reason, /within the allowed 10 %/);
    assert.equal(only(latency(canary, stable, { allowedIncrease: 0.02 })).classification, 'high');
    const drop = {
      name: 'throughput',
      canary: around(14, 40, 95, 0.01),
      stable,
      direction: 'decrease',
    } as const;
    assert.equal(only({ ...drop, allowedDecrease: 0.1 }).classification, 'pass');
    assert.equal(only({ ...drop, allowedDecrease: 0.02 }).classification, 'low');
  });

  it('needs the interval to clear the tolerance band around the estimate', () => {
    const canary = around(15, 30, 103, 0.02);
    const stable = around(16, 30, 100, 0.02);
    assert.equal(only(latency(canary, stable), { tolerance: 0 }).classification, 'high');
    // A band of ±|estimate| can never be cleared: the interval's low end is at most the estimate.
    assert.equal(only(latency(canary, stable), { tolerance: 1 }).classification, 'pass');
  });

  it('is nodata when a side has no sample, NaN removed; NaN replaced by 0 is judged', () => {
    const empty = only(latency([], around(17, 10, 100)));
    assert.equal(empty.classification, 'nodata');
    assert.equal(empty.reason, 'no canary samples');
    assert.deepEqual(
      [empty.pValue, empty.hodgesLehmann, empty.ratio, empty.canary.mean],
      [null, null, null, null],
    );
    const nan = [Number.NaN, Number.NaN, Number.POSITIVE_INFINITY];
    assert.equal(only(latency(around(18, 10, 100), nan)).reason, 'no stable samples');
    const replaced = only(latency(around(18, 10, 100), [...nan, 0, 0, 0, 0, 0], { nanStrategy: 'replace' }));
    assert.equal(replaced.stable.n, 8);
    assert.equal(replaced.classification, 'high');
  });

  it('fails errors against an error-free stable: from a mean of 0 any rise is infinite', () => {
    const m = only({
      name: 'error-rate',
      canary: [0, ...around(25, 11, 0.05)],
      stable: new Array(12).fill(0),
      direction: 'increase',
      allowedIncrease: 5,
    });
    assert.equal(m.classification, 'high');
    assert.equal(m.ratio, null);
    assert.match(m.reason, /\+∞ % \(stable mean 0\)/);
  });

  it('passes identical and all-tied samples with p = 1', () => {
    const same = around(19, 20, 100);
    const m = only(latency([...same].reverse(), same));
    assert.equal(m.classification, 'pass');
    assert.equal(m.hodgesLehmann!.estimate, 0);
    const tied = only(latency([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [5, 5, 5, 5, 5, 5, 5, 5, 5]));
    assert.deepEqual([tied.classification, tied.pValue], ['pass', 1]);
  });

  it('finds a shift between two constant samples without Kayenta’s added noise', () => {
    const m = only(latency([7, 7, 7, 7, 7, 7, 7, 7, 7, 7], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5]));
    assert.deepEqual(m.hodgesLehmann, { estimate: 2, low: 2, high: 2 });
    assert.equal(m.classification, 'high');
  });
});

describe('judge: score and verdict', () => {
  const good = (name: string, seed: number, extra: Partial<JudgeMetric> = {}): JudgeMetric =>
    latency(around(seed, 30, 100), around(seed + 1, 30, 100), { name, ...extra });
  const bad = (name: string, seed: number, extra: Partial<JudgeMetric> = {}): JudgeMetric =>
    latency(around(seed, 30, 160), around(seed + 1, 30, 100), { name, ...extra });
  const empty = (name: string, extra: Partial<JudgeMetric> = {}): JudgeMetric =>
    latency([], [1, 2], { name, ...extra });

  it('scores 100 × passing weight over judged weight, nodata left out', () => {
    const r = judge([good('a', 20), good('b', 22), bad('c', 24, { weight: 2 }), empty('d', { weight: 10 })]);
    assert.deepEqual(
      r.metrics.map((m) => m.classification),
      ['pass', 'pass', 'high', 'nodata'],
    );
    assert.equal(r.score, 50);
    assert.equal(r.verdict, 'fail');
    assert.deepEqual(r.failedCritical, []);
  });

  it('is marginal between the thresholds, and the thresholds are options', () => {
    const metrics = [good('a', 30), good('b', 32), good('c', 34), bad('d', 36)];
    assert.deepEqual([judge(metrics).score, judge(metrics).verdict], [75, 'marginal']);
    assert.equal(judge(metrics, { passThreshold: 70, marginalThreshold: 50 }).verdict, 'pass');
    assert.equal(judge(metrics, { marginalThreshold: 80, passThreshold: 90 }).verdict, 'fail');
    assert.equal(judge([good('a', 30)]).verdict, 'pass');
  });

  it('fails with score 0 when a critical metric is high or has no data', () => {
    const high = judge([good('a', 40), good('b', 42), bad('errors', 44, { critical: true })]);
    assert.deepEqual([high.score, high.verdict, high.failedCritical], [0, 'fail', ['errors']]);
    assert.equal(high.metrics[2]!.critical, true);
    const missing = judge([good('a', 40), empty('errors', { critical: true })], {
      passThreshold: 0,
      marginalThreshold: 0,
    });
    assert.deepEqual([missing.score, missing.verdict, missing.failedCritical], [0, 'fail', ['errors']]);
    assert.equal(judge([good('a', 40, { critical: true }), bad('b', 46)]).failedCritical.length, 0);
  });

  it('fails when nothing could be judged', () => {
    const r = judge([empty('a'), empty('b')]);
    assert.deepEqual([r.score, r.verdict], [0, 'fail']);
  });

  it('refuses options and metric settings out of range', () => {
    assert.throws(() => judge([], { confidence: 1 }), /confidence must be in \(0, 1\)/);
    assert.throws(() => judge([], { marginalThreshold: 99 }), /marginalThreshold/);
    assert.throws(() => judge([good('a', 1, { weight: -1 })]), /metric "a": weight -1/);
    assert.throws(() => judge([good('a', 1, { direction: 'up' as 'increase' })]), /unknown direction up/);
  });
});
