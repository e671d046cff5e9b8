/**
 * What a canary judge reads: request outcomes, latency and the distribution of predicted classes,
 * each labelled with the model's name and version so a baseline and a canary scraped side by
 * side stay apart. The names live in core's monitor/signals.ts, where monitor-gate reads them too.
 * Process metrics (CPU, memory, event-loop lag) come from prom-client's defaults.
 */
import {
  MAX_CLASSES,
  OTHER_CLASS,
  SERVE_METRICS,
  type ServeLabel,
  type Signal,
} from '@modelship/core/monitor/signals.ts';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Output } from './protocol.ts';

/** Bucket bounds: how serve measures, which the queries do not need to know. */
const BUCKETS = {
  requestDuration: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  inferenceDuration: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
  batchRows: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
};

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly labels: { model: string; version: string };
  private readonly requests: Counter<ServeLabel>;
  private readonly predicted: Counter<ServeLabel>;
  private readonly classes = new Set<string>();
  private readonly byStatus = new Map<number, { inc(): void }>();
  private readonly children: {
    latency: { observe(v: number): void };
    inference: { observe(v: number): void };
    inflight: { inc(): void; dec(): void };
    batch: { observe(v: number): void };
  };

  constructor(model: string, version: string) {
    this.labels = { model, version };
    collectDefaultMetrics({ register: this.registry });
    const m = SERVE_METRICS;
    this.requests = new Counter(this.config(m.requests));
    this.predicted = new Counter(this.config(m.predictions));
    const latency = new Histogram({ ...this.config(m.requestDuration), buckets: BUCKETS.requestDuration });
    const inference = new Histogram({
      ...this.config(m.inferenceDuration),
      buckets: BUCKETS.inferenceDuration,
    });
    const batch = new Histogram({ ...this.config(m.batchRows), buckets: BUCKETS.batchRows });
    const inflight = new Gauge(this.config(m.inflight));
    inflight.set(this.labels, 0);
    // Labelled children made once: prom-client otherwise hashes the labels on every request.
    this.children = {
      latency: latency.labels(this.labels),
      inference: inference.labels(this.labels),
      inflight: inflight.labels(this.labels),
      batch: batch.labels(this.labels),
    };
  }

  private config(signal: Signal) {
    return { name: signal.name, help: signal.help, labelNames: signal.labels, registers: [this.registry] };
  }

  started(): () => void {
    this.children.inflight.inc();
    const started = performance.now();
    return () => {
      this.children.latency.observe((performance.now() - started) / 1000);
      this.children.inflight.dec();
    };
  }

  answered(status: number): void {
    let child = this.byStatus.get(status);
    if (!child) {
      child = this.requests.labels({ ...this.labels, status: String(status) });
      this.byStatus.set(status, child);
    }
    child.inc();
  }

  ran(rows: number, seconds: number): void {
    this.children.batch.observe(rows);
    this.children.inference.observe(seconds);
  }

  /** Counts the class of every row: the label output's values, or the argmax of probabilities. */
  countClasses(output: Output, argmax: boolean): void {
    for (const [c, n] of classCounts(output, argmax)) {
      const name = this.classes.has(c) || this.classes.size < MAX_CLASSES ? c : OTHER_CLASS;
      this.classes.add(name);
      this.predicted.inc({ ...this.labels, class: name }, n);
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

function classCounts(output: Output, argmax: boolean): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (c: string) => counts.set(c, (counts.get(c) ?? 0) + 1);
  const data = output.data as ArrayLike<unknown>;
  if (argmax) {
    const k = output.dims[1] ?? 1;
    for (let r = 0; r * k < data.length; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if ((data[r * k + j] as number) > (data[r * k + best] as number)) best = j;
      add(String(best));
    }
  } else {
    for (let i = 0; i < data.length; i++) add(String(data[i]));
  }
  return counts;
}
