import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../errors.ts';
import { loadMetrics } from './metrics-file.ts';

async function file(text: string) {
  const path = join(await mkdtemp(join(tmpdir(), 'metrics-')), 'metrics.yml');
  await writeFile(path, text);
  return path;
}

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigurationError, String(e));
    return e.render();
  }
  throw new Error('accepted');
};

describe('loadMetrics', () => {
  it('reads built-in names and files; a built-in named in a file keeps its query with new conditions', async () => {
    const path = await file(
      [
        'metrics:',
        '  - name: error-rate',
        '    success: result <= 0.02',
        '  - name: checkout-p90',
        '    query: histogram_quantile(0.9, sum by (le) (rate(x_bucket{version="{{version}}"}[{{interval}}])))',
        '    success: result <= stable * 1.2',
        '    critical: true',
      ].join('\n'),
    );
    const ms = await loadMetrics(['latency-p95', path], '--metrics');
    assert.deepEqual(
      ms.map((m) => [m.name, m.builtin ?? null, m.success?.expr ?? null]),
      [
        ['latency-p95', 'latency-p95', 'result <= 0.5'],
        ['error-rate', 'error-rate', 'result <= 0.02'],
        ['checkout-p90', null, 'result <= stable * 1.2'],
      ],
    );
    assert.match(ms[1]!.query!, /modelship_requests_total/);
    assert.equal(ms[2]!.critical, true);
  });

  it('says where a mistake is: file:line:col, key path, the fix', async () => {
    const typo = await file('metrics:\n  - name: p90\n    qeury: up\n');
    assert.equal(
      await refusal(loadMetrics([typo], '--metrics')),
      `${typo}:3:5: metrics[0].qeury: unknown key 'qeury'. Did you mean 'query'? Keys: name, query, samples, by, success, failure, direction, critical, weight, allowed-increase, allowed-decrease, compare.`,
    );
    const gate = await file('metrics:\n  - name: error-rate\n    success: result <=\n');
    assert.match(
      await refusal(loadMetrics([gate], '--metrics')),
      new RegExp(`^${gate}:3:14: metrics\\[0\\]\\.success: gate 'result <=' does not parse`),
    );
    const variable = await file('metrics:\n  - name: x\n    query: up{v="{{verison}}"}\n');
    assert.match(
      await refusal(loadMetrics([variable], '--metrics')),
      /:3:12: metrics\[0\]\.query: unknown variable \{\{verison\}\}\. Variables: \{\{app\}\}/,
    );
    assert.match(
      await refusal(loadMetrics(['eror-rate'], '--metrics')),
      /^--metrics: 'eror-rate' is neither a built-in metric nor a metrics file \(\.yml\)\. Did you mean 'error-rate'\?/,
    );
  });

  it('reads the example metrics file', async () => {
    const example = join(import.meta.dirname, '../../../../examples/metrics.yml');
    const ms = await loadMetrics([example], '--metrics');
    assert.deepEqual(
      ms.map((m) => m.name),
      ['latency-p99', 'latency-p95-relative', 'rejected-share'],
    );
  });
});
