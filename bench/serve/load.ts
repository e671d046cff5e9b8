/**
 * The load for bench/serve, in its own process: autocannon against a running `modelship serve`,
 * single-row inference requests (the same seeded row every time) on `connections` keep-alive
 * connections, pipelining 1, for `seconds`. Prints one JSON line.
 *
 * autocannon's own percentiles come from an integer-millisecond histogram, too coarse for a
 * 0.5 ms target, so every response time (fractional ms, from its 'response' event) is kept here
 * and the percentiles are exact.
 *
 * Usage: node load.ts <base url> <model name> [seconds=20] [connections=16]
 */
import { createRequire } from 'node:module';
import { FEATURES, fixedRow, percentiles } from './stats.ts';

interface Result {
  requests: { average: number; total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface Instance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (
  opts: Record<string, unknown>,
  done: (err: Error | null, result: Result) => void,
) => Instance;

// autocannon is CommonJS without type declarations; its surface used here is typed above.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const [base, model, secs, conns] = process.argv.slice(2);
if (!base || !model) throw new Error('usage: load.ts <base url> <model name> [seconds] [connections]');
const seconds = Number(secs ?? 20);
const connections = Number(conns ?? 16);

const body = JSON.stringify({
  inputs: [{ name: 'input', shape: [1, FEATURES], datatype: 'FP32', data: fixedRow() }],
});

const cpu = process.cpuUsage();
let latencies = new Float64Array(1 << 18);
let n = 0;
const result = await new Promise<Result>((resolve, reject) => {
  const instance = autocannon(
    {
      url: `${base}/v2/models/${model}/infer`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      pipelining: 1,
      duration: seconds,
    },
    (err, r) => (err ? reject(err) : resolve(r)),
  );
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status < 200 || status >= 300) return;
    if (n === latencies.length) {
      const grown = new Float64Array(n * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[n++] = ms;
  });
});

const used = process.cpuUsage(cpu);
const [p50, p90, p99, max] = percentiles(latencies.subarray(0, n), [0.5, 0.9, 0.99, 1]);
const out = {
  seconds: result.duration,
  connections,
  requestsPerSecond: result.requests.average,
  total: result.requests.total,
  ok: n,
  latencyMs: { p50, p90, p99, max, mean: latencies.subarray(0, n).reduce((a, b) => a + b, 0) / n },
  errors: result.errors,
  non2xx: result.non2xx,
  timeouts: result.timeouts,
  resets: result.resets,
  /** This process's CPU over the run: autocannon's share of the machine. */
  cpuMs: (used.user + used.system) / 1000,
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
