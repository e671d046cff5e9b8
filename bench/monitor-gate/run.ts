/**
 * bench/monitor-gate: what one measurement costs. A real serve (the example model, some traffic)
 * scraped every second by a real Prometheus; then, interleaved, N measurements of the built-in
 * error-rate and latency-p95 through the prometheus provider (its tick and reads: the samples
 * query once, each metric's PromQL, parsing, checks) against bare fetch() POSTs of the same
 * rendered PromQL to the same Prometheus (target: ≤ 1.5×). With bench/monitor-gate/judge.ts, the
 * judge on 2 × 10,000 samples against scipy's mannwhitneyu.
 *
 * Run alone: node bench/monitor-gate/run.ts [measurements=200] (prints the figures).
 */
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { loadMetrics } from '../../packages/core/src/monitor/metrics-file.ts';
import { prometheusProvider } from '../../packages/core/src/monitor/providers/prometheus.ts';
import { PrometheusApi } from '../../packages/core/src/monitor/providers/prometheus-api.ts';
import { render, type Variables } from '../../packages/core/src/monitor/providers/provider.ts';
import { startPrometheus } from '../../test/support/prometheus.ts';
import { startServe } from '../../test/support/serve.ts';
import { median } from '../measure.ts';

const ROW = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };

export async function benchMonitorGate(n = 200) {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.push(fn) };
  try {
    const name = 'iris';
    const model = fileURLToPath(new URL('../../examples/models/challenger.onnx', import.meta.url));
    const serve = await startServe(hooks, {
      MODELSHIP_MODEL: model,
      MODELSHIP_MODEL_NAME: name,
      MODELSHIP_MODEL_VERSION: 'v1',
    });
    const prom = await startPrometheus(hooks, {
      targets: [{ job: 'serve', url: `${serve.url}/metrics`, labels: { namespace: 'bench' } }],
    });
    await prom.targetsUp();
    const traffic = setInterval(() => {
      void fetch(`${serve.url}/v2/models/${name}/infer`, { method: 'POST', body: JSON.stringify(ROW) }).catch(
        () => {},
      );
    }, 20);
    cleanups.push(() => clearInterval(traffic));
    await prom.waitFor(
      'sum(increase(modelship_requests_total{namespace="bench"}[5s]))',
      (r) => (r[0]?.value ?? 0) > 10,
    );

    const metrics = await loadMetrics(['error-rate', 'latency-p95'], 'metrics');
    const vars: Variables = {
      app: 'iris',
      namespace: 'bench',
      version: 'v1',
      stable_version: '',
      canary_version: 'v1',
      interval: '5s',
    };
    const queries = [render(metrics[0]!.samples!, vars), ...metrics.map((m) => render(m.query!, vars))];
    const provider = prometheusProvider(new PrometheusApi({ url: prom.url, timeoutMs: 10_000 }));
    const signal = new AbortController().signal;
    const ours: number[] = [];
    const bare: number[] = [];
    const bareHttp: number[] = [];
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      await provider.tick(signal);
      for (const m of metrics) await provider.read(m, vars, signal);
      ours.push(performance.now() - t0);
      t0 = performance.now();
      for (const q of queries) await bareQuery(prom.url, q);
      bare.push(performance.now() - t0);
      t0 = performance.now();
      for (const q of queries) await bareHttpQuery(prom.url, q);
      bareHttp.push(performance.now() - t0);
    }
    const judge = await import('./judge.ts')
      .then((j) => j.benchJudge())
      .catch((e: Error) => ({ error: e.message }));
    return {
      measurements: n,
      queries: queries.length,
      ours_ms: median(ours),
      bare_ms: median(bare),
      bare_http_ms: median(bareHttp),
      ratio: median(ours) / median(bare),
      ratio_http: median(ours) / median(bareHttp),
      judge,
    };
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

async function bareQuery(url: string, query: string): Promise<unknown> {
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    body: new URLSearchParams({ query, time: String(Date.now() / 1000) }),
  });
  return res.json();
}

const keepAlive = new Agent({ keepAlive: true });

/** The same with node:http and a keep-alive agent, the floor under any client. */
function bareHttpQuery(url: string, query: string): Promise<unknown> {
  const body = new URLSearchParams({ query, time: String(Date.now() / 1000) }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/query`,
      {
        method: 'POST',
        agent: keepAlive,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export type MonitorGateBench = Awaited<ReturnType<typeof benchMonitorGate>>;

export function monitorGateMarkdown(b: MonitorGateBench): string {
  const j = b.judge as { ours_ms?: number; scipy_ms?: number; n?: number; error?: string };
  return `## monitor-gate (bench/monitor-gate)

One measurement of the built-ins error-rate and latency-p95 through the prometheus provider
(${b.queries} PromQL queries: the shared samples count and each metric's), against bare \`fetch()\`
POSTs of the same queries to the same Prometheus, interleaved, median of ${b.measurements}.

| run | median |
| --- | ---: |
| monitor-gate provider, one measurement | ${b.ours_ms.toFixed(2)} ms |
| bare \`fetch()\`, the same queries | ${b.bare_ms.toFixed(2)} ms |
| bare node:http with a keep-alive agent, the same queries | ${b.bare_http_ms.toFixed(2)} ms |

- per measurement: **${b.ratio.toFixed(2)}×** the bare \`fetch()\` queries, **${b.ratio_http.toFixed(2)}×** bare node:http (target ≤ 1.5×).
${j.error ? `- judge: not measured (${j.error}).` : `- judge on 2 × ${j.n?.toLocaleString('en-US')} samples: ${j.ours_ms?.toFixed(1)} ms CPU vs scipy \`mannwhitneyu\` ${j.scipy_ms?.toFixed(1)} ms (**${((j.scipy_ms ?? 0) / (j.ours_ms ?? 1)).toFixed(1)}× faster**).`}
`;
}

if (import.meta.main) {
  const b = await benchMonitorGate(Number(process.argv[2] ?? 200));
  console.log(JSON.stringify(b, null, 2));
}
