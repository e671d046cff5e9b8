import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMetrics, type MetricDefinition } from '../metrics-file.ts';
import { MeasurementError, type Provider, type Reading, type Variables } from '../providers/provider.ts';
import { type AnalysisPlan, analyse, type Clock } from './loop.ts';

/** A provider answering a script: one entry per measurement, per version, per metric. */
type Script = (i: number, version: string, metric: string) => Reading | Error;

function fake(script: Script): Provider & { ticks: number } {
  const p = {
    ticks: 0,
    requests: 0,
    async begin() {},
    async tick() {
      p.ticks++;
    },
    async read(m: MetricDefinition, vars: Variables) {
      const r = script(p.ticks, vars.version, m.name);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  return p;
}

/** No waiting: the clock only records what was slept. */
function clock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    async sleep(ms) {
      slept.push(ms);
      now += ms;
    },
  };
}

const value = (v: number, samples = 100): Reading => ({ observation: { kind: 'value', value: v }, samples });

async function plan(over: Partial<AnalysisPlan> = {}, names = ['error-rate']): Promise<AnalysisPlan> {
  return {
    metrics: await loadMetrics(names, 'metrics'),
    canary: 'v2',
    vars: { app: 'iris', namespace: 'ns', stable_version: '', canary_version: 'v2', interval: '5s' },
    intervalMs: 5000,
    count: 3,
    initialDelayMs: 1000,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    minSamples: 10,
    noData: 'inconclusive',
    ...over,
  };
}

const signal = new AbortController().signal;

describe('analyse', () => {
  it('makes count measurements interval apart after the initial delay, and passes when every one does', async () => {
    const c = clock();
    const r = await analyse(
      await plan(),
      fake(() => value(0.01)),
      c,
      signal,
    );
    assert.equal(r.verdict, 'passed');
    assert.deepEqual(c.slept, [1000, 5000, 5000, 5000]);
    assert.equal(r.made, 3);
    assert.deepEqual(
      r.measurements.map((m) => m.phase),
      ['successful', 'successful', 'successful'],
    );
  });

  it('fails when failures exceed failure-limit, and stops there', async () => {
    const p = fake((i) => value(i === 2 ? 0.3 : 0.01));
    const r = await analyse(await plan(), p, clock(), signal);
    assert.equal(r.verdict, 'failed');
    assert.equal(r.made, 2, 'nothing after the failing measurement');
    assert.match(
      r.reason,
      /^error-rate: 1 failed measurement \(limit 0\); last: result 0\.3; success result <= 0\.05: false$/,
    );
    const tolerant = await analyse(
      await plan({ failureLimit: 1 }),
      fake((i) => value(i === 2 ? 0.3 : 0.01)),
      clock(),
      signal,
    );
    assert.equal(tolerant.verdict, 'passed', 'one failure is within a limit of 1');
  });

  it('counts measurement errors as results; more consecutive errors than the limit fail the analysis', async () => {
    const down = new MeasurementError('Prometheus at 127.0.0.1:9/api/v1/query did not answer: ECONNREFUSED');
    const some = await analyse(
      await plan({ count: 4, consecutiveErrorLimit: 1 }),
      fake((i) => (i === 2 ? down : value(0))),
      clock(),
      signal,
    );
    assert.equal(some.verdict, 'passed', 'one error in a row is within the limit');
    assert.equal(some.metrics[0]!.tally.error, 1);
    const r = await analyse(
      await plan({ count: 10, consecutiveErrorLimit: 2 }),
      fake((i) => (i >= 2 ? down : value(0))),
      clock(),
      signal,
    );
    assert.equal(r.verdict, 'failed');
    assert.equal(r.made, 4, 'the third error in a row ends it');
    assert.match(r.reason, /3 consecutive measurement errors \(limit 2\); last: Prometheus .* ECONNREFUSED/);
  });

  it('applies the no-data rule below min-samples', async () => {
    const quiet = () => ({ samples: 3 });
    for (const [rule, verdict] of [
      ['fail', 'failed'],
      ['inconclusive', 'inconclusive'],
      ['pass', 'passed'],
    ] as const) {
      const r = await analyse(await plan({ noData: rule }), fake(quiet), clock(), signal);
      assert.equal(r.verdict, verdict, rule);
      assert.match(
        r.measurements[0]!.detail,
        new RegExp(`no data: 3 requests, fewer than min-samples 10 \\(no-data: ${rule}\\)`),
      );
    }
  });

  it('inconclusive when both conditions are given and neither holds, within inconclusive-limit', async () => {
    const p = await plan({ count: 2 });
    const { parseGates } = await import('../../metrics/gates.ts');
    p.metrics[0] = {
      ...p.metrics[0]!,
      success: parseGates(['result < 0.1'], ['result'])[0]!,
      failure: parseGates(['result > 0.5'], ['result'])[0]!,
    };
    assert.equal(
      (
        await analyse(
          p,
          fake(() => value(0.3)),
          clock(),
          signal,
        )
      ).verdict,
      'inconclusive',
    );
    assert.equal(
      (
        await analyse(
          { ...p, inconclusiveLimit: 2 },
          fake(() => value(0.3)),
          clock(),
          signal,
        )
      ).verdict,
      'passed',
    );
  });

  it('compares class distributions with the stable version: prediction-shift', async () => {
    const p = await plan({ stable: 'v1', count: 2 }, ['prediction-shift']);
    const mix = { '0': 50, '1': 50, '2': 50 };
    const skewed = { '0': 2, '1': 3, '2': 145 };
    const same = await analyse(
      p,
      fake(() => ({ observation: { kind: 'distribution', counts: mix }, samples: 150 })),
      clock(),
      signal,
    );
    assert.equal(same.verdict, 'passed');
    const shifted = await analyse(
      p,
      fake((_, v) => ({
        observation: { kind: 'distribution', counts: v === 'v2' ? skewed : mix },
        samples: 150,
      })),
      clock(),
      signal,
    );
    assert.equal(shifted.verdict, 'failed');
    // 12 requests a side whose shares differ by chance: a large distance, but no evidence.
    const noisy = await analyse(
      p,
      fake((_, v) => ({
        observation: {
          kind: 'distribution',
          counts: v === 'v2' ? { '0': 6, '1': 3, '2': 3 } : { '0': 3, '1': 5, '2': 4 },
        },
        samples: 12,
      })),
      clock(),
      signal,
    );
    assert.equal(noisy.verdict, 'passed', noisy.reason);
    assert.ok(noisy.measurements[0]!.value! > 0.1, 'the distance alone would have failed it');
    assert.ok(shifted.measurements[0]!.distribution!.pValue < 1e-6);
    assert.match(shifted.reason, /prediction-shift: 1 failed measurement .*failure shift > 0\.1: true/);
  });
});
