/**
 * Inference requests are bounded in number (waiting or running; one more is a 429). Without
 * batching each starts at once: onnxruntime-node queues its runs itself, and starting them all in
 * the same turn of the event loop is what lets one turn answer many requests. With dynamic
 * batching on, requests wait in one queue, and the ones waiting when the model frees up (same
 * inputs, same row shape) are merged into one run along the first dimension and split back.
 */
import type { ServedModel } from './model.ts';
import { type InferRequest, isFixed, type Output, type RequestTensor } from './protocol.ts';
import { ProtocolError } from './protocol-error.ts';

export interface Done {
  outputs: Record<string, Output>;
  /** Rows in the run this request was part of. */
  batchRows: number;
}

interface Job {
  request: InferRequest;
  rows: number;
  /** Requests with the same key can share a run. */
  key: string | undefined;
  cancelled: boolean;
  resolve(done: Done): void;
  reject(e: unknown): void;
}

export interface ExecutorOptions {
  maxQueue: number;
  batchMaxRows: number;
  batchWaitMs: number;
  /** Outputs every run must fetch, asked for or not (the class counter's). */
  alwaysFetch: string[];
  onRun?: (rows: number, seconds: number, outputs: Record<string, Output>) => void;
}

export class Executor {
  private readonly queue: Job[] = [];
  /** Runs started and not finished. */
  private running = 0;
  private pumping = false;
  private idle: (() => void)[] = [];
  private readonly model: ServedModel;
  private readonly options: ExecutorOptions;
  constructor(model: ServedModel, options: ExecutorOptions) {
    this.model = model;
    this.options = options;
  }

  /** Requests queued or running. */
  get size(): number {
    return this.queue.length + this.running;
  }

  /** Queues a request; `cancel` drops it if it has not started (a timed-out or abandoned request). */
  submit(request: InferRequest): { done: Promise<Done>; cancel(): void } {
    if (this.size >= this.options.maxQueue) {
      throw new ProtocolError(429, `the server is busy (${this.size} requests queued); retry later`, {
        'retry-after': '1',
      });
    }
    let job!: Job;
    const done = new Promise<Done>((resolve, reject) => {
      job = {
        request,
        rows: request.inputs[0]?.shape[0] ?? 1,
        key: this.keyOf(request),
        cancelled: false,
        resolve,
        reject,
      };
    });
    if (job.key === undefined) void this.start([job]);
    else {
      this.queue.push(job);
      if (!this.pumping) void this.pump();
    }
    const cancel = () => {
      job.cancelled = true;
    };
    return { done, cancel };
  }

  /** Resolves once nothing is queued or running: what a graceful shutdown waits for. */
  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Wakes whoever waits for the queue to empty (a shutdown), once nothing is left. */
  private settle(): void {
    if (this.size === 0) for (const r of this.idle.splice(0)) r();
  }

  private keyOf(request: InferRequest): string | undefined {
    if (this.options.batchMaxRows === 0) return undefined;
    const free = request.inputs.every((t) => {
      const dim = this.model.inputs.find((i) => i.name === t.name)?.shape[0];
      return t.shape.length > 0 && !isFixed(dim);
    });
    if (!free) return undefined;
    const parts = [...request.inputs]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((t) => `${t.name}:${t.type}:${t.shape.slice(1).join('x')}`);
    return `${parts.join('|')}>${request.outputs?.join(',') ?? '*'}`;
  }

  private async start(batch: Job[]): Promise<void> {
    this.running++;
    try {
      await this.runBatch(batch);
    } finally {
      this.running--;
      this.settle();
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length) {
        if (this.options.batchWaitMs > 0 && this.queue.length === 1) {
          await new Promise((r) => setTimeout(r, this.options.batchWaitMs));
        }
        const batch = this.take();
        if (batch.length) await this.start(batch);
      }
    } finally {
      this.pumping = false;
      this.settle();
    }
  }

  /** The first live job, and the compatible ones behind it up to the row limit. */
  private take(): Job[] {
    while (this.queue[0]?.cancelled) this.queue.shift();
    const first = this.queue.shift();
    if (!first) return [];
    const batch = [first];
    if (first.key === undefined) return batch;
    let rows = first.rows;
    for (let i = 0; i < this.queue.length && rows < this.options.batchMaxRows; ) {
      const job = this.queue[i]!;
      if (!job.cancelled && job.key === first.key && rows + job.rows <= this.options.batchMaxRows) {
        batch.push(job);
        rows += job.rows;
        this.queue.splice(i, 1);
      } else i++;
    }
    return batch;
  }

  private async runBatch(batch: Job[]): Promise<void> {
    const first = batch[0]!.request;
    const fetch = first.outputs ? [...new Set([...first.outputs, ...this.options.alwaysFetch])] : undefined;
    try {
      const inputs = batch.length === 1 ? first.inputs : merge(batch.map((j) => j.request.inputs));
      const rows = batch.reduce((a, j) => a + j.rows, 0);
      const started = performance.now();
      const outputs = await this.model.run(inputs, fetch);
      this.options.onRun?.(rows, (performance.now() - started) / 1000, outputs);
      if (batch.length === 1) {
        batch[0]!.resolve({ outputs, batchRows: rows });
        return;
      }
      let offset = 0;
      for (const job of batch) {
        job.resolve({ outputs: slice(outputs, offset, job.rows, rows), batchRows: rows });
        offset += job.rows;
      }
    } catch (e) {
      for (const job of batch) job.reject(e);
    }
  }
}

/** Concatenates each input along its first dimension, in job order. */
function merge(requests: RequestTensor[][]): RequestTensor[] {
  return requests[0]!.map((t) => {
    const parts = requests.map((r) => r.find((x) => x.name === t.name)!);
    const rows = parts.reduce((a, p) => a + p.shape[0]!, 0);
    const data = Array.isArray(t.data)
      ? parts.flatMap((p) => p.data as unknown[])
      : concatTyped(parts.map((p) => p.data as Float32Array));
    return { name: t.name, type: t.type, shape: [rows, ...t.shape.slice(1)], data };
  });
}

function concatTyped<T extends Float32Array>(parts: T[]): T {
  const out = new (parts[0]!.constructor as new (n: number) => T)(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One request's rows of every output; an output that is not per row goes to everyone whole. */
function slice(
  outputs: Record<string, Output>,
  offset: number,
  rows: number,
  total: number,
): Record<string, Output> {
  const out: Record<string, Output> = {};
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims[0] !== total) {
      out[name] = t;
      continue;
    }
    const per = t.data.length / total;
    const data = (t.data as Float32Array).slice(offset * per, (offset + rows) * per);
    out[name] = { type: t.type, dims: [rows, ...t.dims.slice(1)], data };
  }
  return out;
}
