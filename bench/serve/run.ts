/**
 * bench/serve: `modelship serve` on CPU with evaluate-model's 20-feature 3-class logistic
 * regression, loaded from a second process (load.ts, autocannon) with single-row requests on 16
 * connections, with dynamic batching off and on; against the floor of the same number of
 * single-row `session.run` calls in one process, no HTTP (floor.ts), and beside the peer of a bare
 * node:http server doing the same inference (bare.ts) under the same load. Per mode it also records the
 * server's RSS (from /proc) before, during and after the load, its CPU time, what its own /metrics
 * say about the runs, a short one-connection run (latency without a queue), and that SIGTERM
 * stops it with exit code 0.
 *
 * Run alone: node bench/serve/run.ts [seconds=20] (prints the figures; RESULTS.md is left alone).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ServeProcess, startServe } from '../../test/support/serve.ts';
import { logisticRegression } from '../evaluate-model/generate.ts';
import { procStats } from '../measure.ts';
import { FEATURES, fixedRow } from './stats.ts';

const CONNECTIONS = 16;
/** Rows per merged run with batching on (MODELSHIP_BATCH_MAX_ROWS); more than the connections. */
const BATCH_ROWS = 32;
/** Seconds of the one-connection run after the main load. */
const QUIET_SECONDS = 5;

const run = promisify(execFile);

interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}
interface Load {
  seconds: number;
  connections: number;
  requestsPerSecond: number;
  total: number;
  ok: number;
  latencyMs: Latency;
  errors: number;
  non2xx: number;
  timeouts: number;
  resets: number;
  cpuMs: number;
  statusCodes: Record<string, number>;
}
interface Floor {
  calls: number;
  wallMs: number;
  callsPerSecond: number;
  cpuMs: number;
  latencyMs: Latency;
}
type Server = ServeProcess;

async function node<T>(root: string, args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as T;
}

/** A server child, ready; the bench kills it itself, and SIGKILLs whatever is left at exit. */
function start(args: string[], env: Record<string, string>): Promise<Server> {
  return startServe({ after: (fn: () => unknown) => process.once('exit', () => void fn()) }, env, args);
}

const proc = procStats;

/** The sum over label sets of each modelship_ sample on the server's /metrics, and its memory gauges. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(
    /^(modelship_\w+|process_resident_memory_bytes|nodejs_heap_size_\w+)(?:\{[^}]*\})? (\S+)$/gm,
  )) {
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

/** One request answered as the protocol says, before the load: a wrong server is not benchmarked. */
async function check(url: string, name: string): Promise<void> {
  const res = await fetch(`${url}/v2/models/${name}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'input', shape: [1, FEATURES], datatype: 'FP32', data: fixedRow() }],
    }),
  });
  const body = (await res.json()) as { outputs?: { name: string; shape: number[] }[] };
  const probabilities = body.outputs?.find((o) => o.name === 'probabilities');
  if (res.status !== 200 || probabilities?.shape.join() !== '1,3')
    throw new Error(`serve answered ${res.status}: ${JSON.stringify(body)}`);
}

/**
 * The load against a started server: RSS and CPU from /proc around it (RSS also once a second),
 * its /metrics before and after where it has them, then the one-connection run, then SIGTERM.
 */
async function underLoad(root: string, server: Server, seconds: number, metrics: boolean) {
  const name = 'lr';
  const pid = server.child.pid!;
  const load = join(root, 'bench', 'serve', 'load.ts');
  try {
    await check(server.url, name);
    const m0 = metrics ? await scrape(server.url) : new Map<string, number>();
    const start = proc(pid);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(proc(pid).rssMiB), 1000);
    const loaded = await node<Load>(root, [load, server.url, name, String(seconds), String(CONNECTIONS)]);
    clearInterval(sampler);
    const end = proc(pid);
    const m1 = metrics ? await scrape(server.url) : new Map<string, number>();
    const quiet = await node<Load>(root, [
      load,
      server.url,
      name,
      String(Math.min(QUIET_SECONDS, seconds)),
      '1',
    ]);
    server.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref());
    const exitCode = await Promise.race([server.exited, timeout]);
    const d = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
    const runs = d('modelship_inference_duration_seconds_count');
    return {
      load: loaded,
      quiet,
      rss: {
        startMiB: start.rssMiB,
        endMiB: end.rssMiB,
        peakMiB: Math.max(start.rssMiB, end.rssMiB, ...samples),
        /** One sample a second over the load. */
        samples,
      },
      cpuMsPerRequest: (end.cpuMs - start.cpuMs) / loaded.total,
      server: metrics
        ? {
            runs,
            rowsPerRun: d('modelship_batch_rows_sum') / runs,
            inferenceMsPerRun: (d('modelship_inference_duration_seconds_sum') * 1000) / runs,
            requestMs:
              (d('modelship_request_duration_seconds_sum') * 1000) /
              d('modelship_request_duration_seconds_count'),
            /** V8's heap, MiB, before and after the load: reserved (total) and live at that moment (used). */
            heap: {
              totalMiB: [m0, m1].map((m) => (m.get('nodejs_heap_size_total_bytes') ?? 0) / 2 ** 20),
              usedMiB: [m0, m1].map((m) => (m.get('nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20),
            },
          }
        : undefined,
      exitCode,
      logged: server.logs.filter((l) => l.level === 'warn' || l.level === 'error').length,
    };
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
}

async function modelship(root: string, model: string, batchRows: number, seconds: number) {
  const server = await start([join(root, 'packages', 'cli', 'src', 'main.ts'), 'serve'], {
    MODELSHIP_MODEL: model,
    MODELSHIP_BATCH_MAX_ROWS: String(batchRows),
  });
  const measured = await underLoad(root, server, seconds, true);
  const floor = await node<Floor>(root, [
    join(root, 'bench', 'serve', 'floor.ts'),
    model,
    String(measured.load.total),
  ]);
  return { batchRows, ...measured, floor };
}

export async function benchServe(root: string, work: string, seconds = 20) {
  const dir = join(work, 'serve');
  mkdirSync(dir, { recursive: true });
  const model = join(dir, 'lr.onnx');
  writeFileSync(model, logisticRegression());
  const load1 = loadavg()[0]!;
  const off = await modelship(root, model, 0, seconds);
  const on = await modelship(root, model, BATCH_ROWS, seconds);
  const bare = await underLoad(
    root,
    await start([join(root, 'bench', 'serve', 'bare.ts'), model], {}),
    seconds,
    false,
  );
  return { seconds, connections: CONNECTIONS, loadAverage: load1, modes: [off, on], bare };
}

export type ServeBench = Awaited<ReturnType<typeof benchServe>>;

const ms = (x: number) => `${x.toFixed(3)} ms`;
const rate = (x: number) => Math.round(x).toLocaleString('en-US');
const mib = (x: number) => `${x.toFixed(0)} MiB`;

/** RSS change from the 5th second of the load to its end: start-up growth (JIT, heap sizing) is over by then. */
function growth(r: { samples: number[]; endMiB: number }): string {
  const from = r.samples[Math.min(4, r.samples.length - 1)] ?? r.endMiB;
  const d = r.endMiB - from;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)} MiB from the 5th second to the end`;
}

/** The section of RESULTS.md. */
export function serveMarkdown(sb: ServeBench): string {
  type Mode = ServeBench['modes'][number];
  const label = (m: Mode) => (m.batchRows ? `batching on (${m.batchRows} rows, no wait)` : 'batching off');
  const rss = (r: Mode['rss']) => `${mib(r.startMiB)} → ${mib(r.endMiB)} (peak ${mib(r.peakMiB)})`;
  const row = (name: string, l: Load, rest: string) =>
    `| ${name} | ${rate(l.requestsPerSecond)} | ${ms(l.latencyMs.p50)} | ${ms(l.latencyMs.p90)} | ${ms(l.latencyMs.p99)} | ${rest} |`;
  const bad = (l: Load) => `${l.errors} / ${l.non2xx} / ${l.timeouts}`;
  const rows = sb.modes.map((m) =>
    [
      row(`modelship serve, ${label(m)}`, m.load, `${bad(m.load)} | ${rss(m.rss)} | ${m.exitCode}`),
      `| floor: ${rate(m.floor.calls)} single-row \`session.run\` calls, in-process | ${rate(m.floor.callsPerSecond)} calls/s | ${ms(m.floor.latencyMs.p50)} | ${ms(m.floor.latencyMs.p90)} | ${ms(m.floor.latencyMs.p99)} | – | – | – |`,
    ].join('\n'),
  );
  const b = sb.bare;
  const added = sb.modes.map((m) => {
    const at = (l: Load) => l.latencyMs.p50 - m.floor.latencyMs.p50;
    const ok = (x: number) => (x < 0.5 ? 'met' : 'missed');
    const q = m.quiet;
    return `- ${label(m)}: **${ms(at(m.load))}** at ${sb.connections} connections (target < 0.5 ms: ${ok(at(m.load))}); ${ms(at(q))} at 1 connection (${rate(q.requestsPerSecond)} requests/s, p50 ${ms(q.latencyMs.p50)}, p99 ${ms(q.latencyMs.p99)}: ${ok(at(q))}).`;
  });
  const per = (x: number) => `${x.toFixed(3)} ms`;
  const inside = sb.modes.map((m) => {
    const s = m.server!;
    return `| ${label(m)} | ${per(s.requestMs)} | ${rate(s.runs)} | ${s.rowsPerRun.toFixed(1)} | ${per(s.inferenceMsPerRun)} | ${per(m.cpuMsPerRequest)} | ${per(m.load.cpuMs / m.load.total)} |`;
  });
  return `## serve (bench/serve)

\`modelship serve\` (the CLI from source, CPU) serving evaluate-model's 20-feature 3-class logistic
regression; the load from autocannon in a second process (\`load.ts\`): single-row requests (the
same seeded row), ${sb.connections} keep-alive connections, pipelining 1, ${sb.seconds} s per run. Latency is
autocannon's response time per request, kept exactly (its own histogram rounds to whole ms).
The floor (\`floor.ts\`): as many single-row \`session.run\` calls as the server answered, one
after another in one process with the server's session options, no HTTP. The peer (\`bare.ts\`):
the least a Node server does for the same request (node:http, JSON, \`session.run\`, JSON back; no
validation, queue, metrics or logs), under the same load. RSS is the server's VmRSS when ready
(start) and after the load (end). Load average when the bench began: ${sb.loadAverage.toFixed(2)} (2 cores, shared).

| run | requests/s | p50 | p90 | p99 | errors / non-2xx / timeouts | server RSS start → end | exit on SIGTERM |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
${row('peer: bare node:http + session.run', b.load, `${bad(b.load)} | ${rss(b.rss)} | ${b.exitCode}`)}

Added at p50 (server p50 − floor p50):
${added.join('\n')}
- the peer: ${ms(b.load.latencyMs.p50 - sb.modes[0]!.floor.latencyMs.p50)} at ${sb.connections} connections, ${ms(b.quiet.latencyMs.p50 - sb.modes[0]!.floor.latencyMs.p50)} at 1. modelship with batching off answers **${(sb.modes[0]!.load.requestsPerSecond / b.load.requestsPerSecond).toFixed(2)}×** the peer's requests/s; its server CPU per request is ${(sb.modes[0]!.cpuMsPerRequest / b.cpuMsPerRequest).toFixed(2)}× the peer's (${per(b.cpuMsPerRequest)}).

With one model run at a time, ${sb.connections} requests in flight queue: p50 at ${sb.connections} connections is about
${sb.connections} ÷ requests/s (Little's law), so what it measures is the server's cost per request, not a
fixed delay. The one-connection run shows the delay a request sees with no queue.

Inside modelship serve over the ${sb.connections}-connection load (its own /metrics; CPU from /proc; a run's time
includes the wait for onnxruntime-node's \`setImmediate\`, i.e. the rest of that event-loop turn):

| mode | time in server per request | onnxruntime runs | rows per run | per run | server CPU per request | load's CPU per request |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${inside.join('\n')}

Memory: ${sb.modes.map((m) => `${label(m)} ${growth(m.rss)}`).join('; ')}; the peer ${growth(b.rss)}. V8's heap
(modelship's /metrics, before → after the load): ${sb.modes.map((m) => `${label(m)}: reserved ${m.server!.heap.totalMiB.map((x) => x.toFixed(0)).join(' → ')} MiB, live ${m.server!.heap.usedMiB.map((x) => x.toFixed(0)).join(' → ')} MiB`).join('; ')}.
Floor CPU per call: ${sb.modes.map((m) => per(m.floor.cpuMs / m.floor.calls)).join(', ')}. RSS each second of the load: ${sb.modes.map((m) => `${label(m)}: ${m.rss.samples.map((x) => x.toFixed(0)).join(', ')} MiB`).join('; ')}; peer: ${b.rss.samples.map((x) => x.toFixed(0)).join(', ')} MiB.
`;
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..', '..');
  const sb = await benchServe(root, join(root, 'bench', '.work'), Number(process.argv[2] ?? 20));
  console.log(JSON.stringify(sb, null, 1));
  console.log(serveMarkdown(sb));
}
