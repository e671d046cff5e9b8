/**
 * The comparison's bootstrap resamples in a worker thread, started as soon as the scored rows are
 * known, so they run on the second core while the main thread prepares the full-sample metrics
 * (the sorts for ROC AUC, each row's log loss). The worker gets the resampled rows and the
 * generator's state, and gives back the same draws compare would make itself; should it fail to
 * start, compare makes them.
 */
import { Worker } from 'node:worker_threads';
import { bootstrapPlan, type CompareOptions, type Outcome, pick, type Resampled } from './measure.ts';
import type { ResampleJob } from './resample-worker.ts';

/** Below this many rows the full-sample metrics take less than starting a worker does. */
const WORKER_FROM = 100_000;

export async function startResampling(
  model: Outcome,
  baseline: Outcome,
  regression: boolean,
  options: CompareOptions,
  rowsForWorker = WORKER_FROM,
): Promise<Resampled | undefined> {
  const n = model.truth.length;
  if (n < rowsForWorker) return undefined;
  const rows = bootstrapPlan(n, options);
  if (!rows?.subset) return undefined;
  const { JOB, WORKER_URL } = await import('./resample-worker.ts');
  const job: ResampleJob = {
    job: JOB,
    model: pick(model, rows.subset),
    baseline: pick(baseline, rows.subset),
    regression,
    rows,
    resamples: options.resamples,
  };
  return new Promise((resolve) => {
    const worker = new Worker(new URL(WORKER_URL), { workerData: job });
    worker.once('message', (done: Resampled) => resolve(done));
    // Results never depend on the worker: without it, compare resamples on the main thread.
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
}
