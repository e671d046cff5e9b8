import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../errors.ts';
import { parseInputs } from '../spec.ts';
import { checkAnalysis } from './check.ts';
import { monitorGateSpec } from './spec.ts';

const describeInput = (n: string) => `--${n}`;

async function check(raw: Record<string, string>, stable = true) {
  const inputs = await parseInputs(
    monitorGateSpec,
    { app: 'iris', 'canary-version': 'v2', ...raw },
    describeInput,
  );
  return checkAnalysis(inputs, describeInput, { stable });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigurationError, String(e));
    return e.render();
  }
  throw new Error('accepted');
}

describe('checkAnalysis', () => {
  it('defaults to the kubernetes provider and the built-in metrics', async () => {
    const s = await check({});
    assert.equal(s.provider, 'kubernetes');
    assert.deepEqual(
      s.metrics.map((m) => m.name),
      ['error-rate', 'latency-p95', 'prediction-shift'],
    );
    assert.deepEqual(
      [s.intervalMs, s.interval, s.count, s.consecutiveErrorLimit, s.failureLimit],
      [60_000, '60s', 5, 4, 0],
    );
  });

  it('refuses a PromQL metric for the kubernetes provider, naming where it is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mg-'));
    const file = join(dir, 'm.yml');
    await writeFile(file, 'metrics:\n  - name: p90\n    query: up\n');
    assert.equal(
      await refusal(check({ metrics: file })),
      `${file}:2:5: metrics[0]: metric 'p90' is a PromQL query, which the kubernetes provider cannot answer. Set --provider to prometheus (with --prometheus-url), or measure built-in metrics only.`,
    );
  });

  it('refuses prometheus without an address, and prediction-shift without a stable version', async () => {
    assert.equal(
      await refusal(check({ provider: 'prometheus' })),
      '--prometheus-url: provider prometheus needs the address of Prometheus. Set --prometheus-url, e.g. http://prometheus.monitoring:9090, or use provider kubernetes.',
    );
    assert.match(
      await refusal(check({}, false)),
      /metric 'prediction-shift' compares with the stable version, and none is given/,
    );
    assert.match(
      await refusal(check({ interval: '10 minutes' })),
      /^--interval: '10 minutes' is not a duration of at least 1s\./,
    );
  });

  it("deploy-rollout's analysis-* inputs are the same fields, refused under their own names", async () => {
    const { deployRolloutSpec } = await import('../deploy-rollout/spec.ts');
    const { checkDeployAnalysis } = await import('./hook.ts');
    const inputs = await parseInputs(
      deployRolloutSpec,
      { image: 'r.io/iris:v2', app: 'iris', 'analysis-provider': 'prometheus', 'analysis-interval': '10s' },
      describeInput,
    );
    assert.equal(inputs['analysis-count'], 5);
    assert.equal(
      await refusal(checkDeployAnalysis(inputs, describeInput)),
      '--analysis-prometheus-url: provider prometheus needs the address of Prometheus. Set --analysis-prometheus-url, e.g. http://prometheus.monitoring:9090, or use provider kubernetes.',
    );
  });
});
