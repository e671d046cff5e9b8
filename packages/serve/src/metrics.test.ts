import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { histogramSeries, SERVE_METRICS } from '@modelship/core/monitor/signals.ts';
import { ServerMetrics } from './metrics.ts';

it('exports every signal monitor-gate queries, under the names and labels core declares', async () => {
  const metrics = new ServerMetrics('iris', 'v2');
  const stop = metrics.started();
  metrics.answered(200);
  stop();
  metrics.ran(1, 0.001);
  metrics.countClasses({ type: 'string', dims: [1], data: ['setosa'] }, false);
  const text = await metrics.text();
  for (const signal of Object.values(SERVE_METRICS)) {
    assert.match(text, new RegExp(`^# TYPE ${signal.name} ${signal.type}$`, 'm'), signal.name);
    const series = signal.type === 'histogram' ? histogramSeries(signal.name).bucket : signal.name;
    const line = new RegExp(`^${series}\\{([^}]*)\\} `, 'm').exec(text);
    assert.ok(line, `${series} has a sample`);
    const labels = [...line[1]!.matchAll(/(\w+)="/g)].map((m) => m[1]).filter((l) => l !== 'le');
    assert.deepEqual(labels, [...signal.labels], signal.name);
  }
});

it('names no metric in serve itself: the names come from core, where the queries read them', async () => {
  const dir = import.meta.dirname;
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const source = await readFile(`${dir}/${file}`, 'utf8');
    assert.doesNotMatch(source, /['"`]modelship_\w+/, file);
  }
});
