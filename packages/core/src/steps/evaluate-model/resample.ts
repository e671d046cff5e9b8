/**
 * The comparison's bootstrap resamples in a worker thread, so they run on the second core while
 * the main thread prepares the full-sample metrics (the sorts for ROC AUC, each row's log loss).
 * The worker gets the resampled rows and the generator's state, and gives back the same draws
 * compare would make itself; should it fail, compare makes them. It can be started while the rows
 * are still being scored (warm), so its start-up is paid before it is needed.
 */
import { Worker } from 'node:worker_threads';
import { bootstrapPlan, type CompareOptions, type Outcome, pick, type Resampled } from './measure.ts';
import type { ResampleJob } from './resample-worker.ts';

/** Below this many rows the full-sample metrics take less than starting a worker does. */
export const WORKER_FROM = 100_000;

export class Resampler {
  private worker: Promise<Worker | undefined> | undefined;
  private exited = false;
  private readonly rowsForWorker: number;

  constructor(rowsForWorker = WORKER_FROM) {
    this.rowsForWorker = rowsForWorker;
  }

  /** Starts the worker now, idle until its job comes; it never keeps the process alive meanwhile. */
  warm(): void {
    this.worker ??= import('./resample-worker.ts').then(
      ({ WORKER_URL, JOB }) => {
        const worker = new Worker(new URL(WORKER_URL), { workerData: { job: JOB } });
        worker.unref();
        worker.on('error', () => {}); // seen by run() as an exit without an answer
        worker.once('exit', () => {
          this.exited = true;
        });
        return worker;
      },
      () => undefined,
    );
  }

  /** The resamples of compare's bootstrap over these outcomes; undefined when compare should make them. */
  async run(
    model: Outcome,
    baseline: Outcome,
    regression: boolean,
    options: CompareOptions,
  ): Promise<Resampled | undefined> {
    const n = model.truth.length;
    const rows = n >= this.rowsForWorker ? bootstrapPlan(n, options) : undefined;
    if (!rows?.subset) return this.close();
    const job: ResampleJob = {
      model: pick(model, rows.subset),
      baseline: pick(baseline, rows.subset),
      regression,
      rows,
      resamples: options.resamples,
    };
    this.warm();
    const worker = await this.worker;
    if (!worker || this.exited) return undefined;
    worker.ref();
    return new Promise((resolve) => {
      worker.once('message', (done: Resampled) => {
        resolve(done);
        void worker.terminate();
      });
      worker.once('exit', () => resolve(undefined));
      worker.postMessage(job);
    });
  }

  /** Ends a worker that got no job. */
  async close(): Promise<undefined> {
    const worker = await this.worker;
    await worker?.terminate();
    return undefined;
  }
}
