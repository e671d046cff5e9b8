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

/** The worker's share of the resamples; this thread makes the rest once its own metrics are done. */
const WORKER_SHARE = 0.6;

export class Resampler {
  private worker: Promise<Worker | undefined> | undefined;
  /** The worker once started. */
  private ready: Worker | undefined;
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
        this.ready = worker;
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
    // The worker takes the last share; this thread, once its own metrics are done (this part runs
    // when analyse awaits), the first, so both cores resample. The worker started sooner, so it gets
    // more, and it is the one to move its generator past the other's draws, while this thread sorts.
    const shared = Math.ceil(options.resamples * WORKER_SHARE);
    const job: ResampleJob = {
      model: pick(model, rows.subset),
      baseline: pick(baseline, rows.subset),
      regression,
      rows,
      first: options.resamples - shared,
      resamples: shared,
    };
    this.warm();
    // A worker started while scoring gets its job now, before this thread's own metrics.
    const theirs = this.ready
      ? this.post(this.ready, job)
      : this.worker!.then((w) => (w ? this.post(w, job) : undefined));
    const { resample } = await import('./resample-worker.ts');
    const ours = resample({ ...job, first: 0, resamples: options.resamples - shared });
    const done = await theirs;
    if (!done) return undefined;
    // Resamples in order, this thread's first: the draws a single run would make.
    for (const [name, values] of done.draws) ours.draws.get(name)?.push(...values);
    return ours;
  }

  private post(worker: Worker, job: ResampleJob): Promise<Resampled | undefined> {
    if (this.exited) return Promise.resolve(undefined);
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
