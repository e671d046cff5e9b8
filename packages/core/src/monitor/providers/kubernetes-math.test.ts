import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition } from './exposition.ts';
import { histogramQuantile } from './quantile.ts';

describe('parseExposition', () => {
  it('reads samples with labels, escapes and special floats; skips comments', () => {
    const text = [
      '# HELP modelship_requests_total Inference requests by HTTP status.',
      '# TYPE modelship_requests_total counter',
      'modelship_requests_total{model="iris",version="v1",status="200"} 42',
      'odd{path="a\\"b\\\\c\\nd"} +Inf 1700000000000',
      'plain 3.5',
      '',
    ].join('\n');
    assert.deepEqual(parseExposition(text), [
      {
        name: 'modelship_requests_total',
        labels: { model: 'iris', version: 'v1', status: '200' },
        value: 42,
      },
      { name: 'odd', labels: { path: 'a"b\\c\nd' }, value: Number.POSITIVE_INFINITY },
      { name: 'plain', labels: {}, value: 3.5 },
    ]);
  });

  it('refuses what is not the text format', () => {
    assert.throws(() => parseExposition('<html>'), /not a sample line: <html>/);
  });
});

describe('histogramQuantile', () => {
  const b = (pairs: [number, number][]) => pairs.map(([le, count]) => ({ le, count }));
  it('interpolates linearly inside the bucket the rank falls in, as Prometheus does', () => {
    // 100 observations: 50 ≤ 0.1, 90 ≤ 0.5, 100 ≤ 1. p95 ranks 95 → 0.5 + 0.5 × (5/10).
    const buckets = b([
      [0.1, 50],
      [0.5, 90],
      [1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    assert.equal(histogramQuantile(0.95, buckets), 0.75);
    assert.equal(histogramQuantile(0.5, buckets), 0.1);
    // The lowest bucket starts at 0: p25 is half way to 0.1.
    assert.equal(histogramQuantile(0.25, buckets), 0.05);
  });
  it('answers the highest finite bound for a rank in +Inf, and NaN without observations', () => {
    assert.equal(
      histogramQuantile(
        0.99,
        b([
          [0.1, 1],
          [Number.POSITIVE_INFINITY, 10],
        ]),
      ),
      0.1,
    );
    assert.ok(
      Number.isNaN(
        histogramQuantile(
          0.5,
          b([
            [0.1, 0],
            [Number.POSITIVE_INFINITY, 0],
          ]),
        ),
      ),
    );
  });
});
