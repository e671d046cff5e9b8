/**
 * Two `modelship serve` processes, versions v1 and v2 of one model, scraped by a real Prometheus and
 * read back through its HTTP API with the queries monitor-gate asks: the error rate and the p95
 * latency per version, and the predicted classes. v1 gets only good requests, v2 a quarter of
 * malformed ones, so every expected value is exact.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  histogramSeries,
  SERVE_LABELS as L,
  SERVE_METRICS as M,
  PROCESS_METRICS,
} from '../packages/core/src/monitor/signals.ts';
import { byLabel, startPrometheus } from './support/prometheus.ts';
import { ROOT } from './support/run.ts';
import { infer, startServe } from './support/serve.ts';

const MODEL = join(ROOT, 'examples', 'models', 'challenger.onnx');
const NAME = 'iris';
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
  [4.9, 3.1, 1.5, 0.1],
  [6.3, 2.9, 5.6, 1.8],
  [5.7, 2.8, 4.1, 1.3],
];

/** One to three rows, so the predicted-class counts are not just the request counts. */
function goodBody(i: number) {
  const rows = Array.from({ length: 1 + (i % 3) }, (_, r) => ROWS[(i + r) % ROWS.length]!);
  return { inputs: [{ name: 'input', shape: [rows.length, 4], datatype: 'FP32', data: rows }] };
}
/** Three features where the model takes four: the server answers 400. */
const BAD = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [[5.1, 3.5, 1.4]] }] };

interface Sent {
  statuses: Record<string, number>;
  /** Predicted labels of the 200 responses, counted. */
  classes: Record<string, number>;
  rows: number;
}

async function send(url: string, version: string, good: number, bad: number): Promise<Sent> {
  // Malformed requests are spread through the good ones, as a bad canary's would be.
  const bodies = [...Array.from({ length: good }, (_, i) => goodBody(i))];
  for (let i = 0; i < bad; i++) bodies.splice(Math.floor(((i + 0.5) * bodies.length) / bad), 0, BAD);
  const sent: Sent = { statuses: {}, classes: {}, rows: 0 };
  const answers = await Promise.all(bodies.map((b) => infer(url, `${NAME}/versions/${version}`, b)));
  for (const { status, body } of answers) {
    sent.statuses[status] = (sent.statuses[status] ?? 0) + 1;
    if (status !== 200) continue;
    const label = (body.outputs as { name: string; data: string[] }[]).find((o) => o.name === 'label')!;
    sent.rows += label.data.length;
    for (const c of label.data) sent.classes[c] = (sent.classes[c] ?? 0) + 1;
  }
  return sent;
}

/** `le` → cumulative count of one histogram, read from a server's own /metrics. */
async function scrapeBuckets(url: string, metric: string): Promise<[number, number][]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets: [number, number][] = [];
  const { bucket, le: leLabel } = histogramSeries(metric);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${bucket}{`)) continue;
    const le = new RegExp(`${leLabel}="([^"]+)"`).exec(line)![1]!;
    buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(line.split(' ').pop())]);
  }
  return buckets.sort((a, b) => a[0] - b[0]);
}

/** Prometheus's histogram_quantile for one classic histogram, step by step as promql/quantile.go does it. */
function bucketQuantile(q: number, buckets: [number, number][]): number {
  const total = buckets.at(-1)![1];
  let rank = q * total;
  const b = buckets.findIndex(([, count], i) => i === buckets.length - 1 || count >= rank);
  if (b === buckets.length - 1) return buckets.at(-2)![0];
  let start = 0;
  let count = buckets[b]![1];
  if (b > 0) {
    start = buckets[b - 1]![0];
    count -= buckets[b - 1]![1];
    rank -= buckets[b - 1]![1];
  }
  return start + (buckets[b]![0] - start) * (rank / count);
}

test('Prometheus scrapes two versions and gives back their error rate, p95 latency and classes', async (t) => {
  const [v1, v2] = await Promise.all(
    ['v1', 'v2'].map((version) =>
      startServe(t, { MODELSHIP_MODEL: MODEL, MODELSHIP_MODEL_NAME: NAME, MODELSHIP_MODEL_VERSION: version }),
    ),
  );
  const prom = await startPrometheus(t, {
    targets: [
      { job: 'serve', url: `${v1!.url}/metrics`, labels: { track: 'baseline' } },
      { job: 'serve', url: `${v2!.url}/metrics`, labels: { track: 'canary' } },
    ],
  });
  await prom.targetsUp();

  const [sent1, sent2] = await Promise.all([send(v1!.url, 'v1', 40, 0), send(v2!.url, 'v2', 30, 10)]);
  assert.deepEqual(sent1.statuses, { 200: 40 });
  assert.deepEqual(sent2.statuses, { 200: 30, 400: 10 });

  // Every request has been counted once a scrape has seen 40 per version; all later queries are
  // evaluated at that same instant, so they read the same scrape.
  const totals = await prom.waitFor(
    `sum by (${L.version}) (${M.requests.name}{${L.model}="${NAME}"})`,
    (r) => {
      const by = byLabel(r, L.version);
      return by.v1 === 40 && by.v2 === 40;
    },
  );
  const at = totals[0]!.time;
  const query = (promql: string) => prom.query(promql, at);

  await t.test('each target carries its own labels and is up', async () => {
    const up = await query('up{job="serve"}');
    assert.deepEqual(byLabel(up, 'track'), { baseline: 1, canary: 1 });
    const tracks = await query(`max by (track, ${L.version}) (${M.inflight.name}{${L.model}="${NAME}"})`);
    assert.deepEqual(Object.fromEntries(tracks.map((s) => [s.metric.track, s.metric[L.version]])), {
      baseline: 'v1',
      canary: 'v2',
    });
    const memory = await query(`${PROCESS_METRICS.residentMemory}{job="serve"}`);
    assert.equal(memory.length, 2);
    for (const s of memory) assert.ok(s.value > 0, `resident memory of ${s.metric.track}: ${s.value}`);
  });

  await t.test('the error rate per version is exact: v1 0, v2 0.25', async () => {
    const total = `sum by (${L.version}) (${M.requests.name}{${L.model}="${NAME}"})`;
    const errors = `sum by (${L.version}) (${M.requests.name}{${L.model}="${NAME}",${L.status}=~"4..|5.."})`;
    assert.deepEqual(byLabel(await query(errors), L.version), { v2: 10 });
    // A version without a single error has no error series: the plain ratio drops it rather than
    // reading 0, so the error count is filled with zeros from the totals.
    assert.deepEqual(byLabel(await query(`${errors} / ${total}`), L.version), { v2: 0.25 });
    const rate = await query(`(${errors} or ${total} * 0) / ${total}`);
    assert.deepEqual(byLabel(rate, L.version), { v1: 0, v2: 0.25 });
  });

  await t.test('p95 latency per version is what the servers own buckets give', async () => {
    const metric = M.requestDuration.name;
    const { bucket, le } = histogramSeries(metric);
    const p95 = byLabel(
      await query(`histogram_quantile(0.95, sum by (${L.version}, ${le}) (${bucket}{${L.model}="${NAME}"}))`),
      L.version,
    );
    assert.deepEqual(Object.keys(p95).sort(), ['v1', 'v2']);
    for (const [version, url] of [
      ['v1', v1!.url],
      ['v2', v2!.url],
    ] as const) {
      const buckets = await scrapeBuckets(url, metric);
      assert.equal(buckets.at(-1)![1], 40, `${version} observed every request`);
      const largest = buckets.at(-2)![0];
      const got = p95[version]!;
      assert.ok(Number.isFinite(got) && got > 0 && got <= largest, `${version} p95 = ${got}`);
      const expected = bucketQuantile(0.95, buckets);
      assert.ok(Math.abs(got - expected) <= 1e-12 * expected, `${version} p95 ${got} vs ${expected}`);
    }
  });

  await t.test('predicted classes per version are the labels the 200 responses carried', async () => {
    const predictions = `${M.predictions.name}{${L.model}="${NAME}"}`;
    const rows = byLabel(await query(`sum by (${L.version}) (${predictions})`), L.version);
    assert.deepEqual(rows, { v1: sent1.rows, v2: sent2.rows });
    for (const [version, sent] of [
      ['v1', sent1],
      ['v2', sent2],
    ] as const) {
      const classes = await query(
        `sum by (${L.class}) (${M.predictions.name}{${L.model}="${NAME}",${L.version}="${version}"})`,
      );
      assert.deepEqual(byLabel(classes, L.class), sent.classes);
    }
  });
});
