/**
 * The worker side of resample.ts: the comparison's bootstrap resamples, on a core of their own.
 * The main thread imports this module only for its URL; the work runs in a worker started with
 * JOB as its data, once the job's rows arrive.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type BootstrapRows, resampleDeltas, skipResamples } from '../../metrics/paired.ts';
import { deltaStatistic, numbers, type Outcome, prepare, type Resampled } from './measure.ts';

export const WORKER_URL = import.meta.url;
export const JOB = 'modelship:evaluate-model:resample';

export interface ResampleJob {
  /** The two models' outcomes on the rows the bootstrap resamples (its subset), already picked. */
  model: Outcome;
  baseline: Outcome;
  regression: boolean;
  rows: BootstrapRows;
  /** The resamples first, first + 1, …, first + resamples − 1 of the bootstrap's run. */
  first: number;
  resamples: number;
}

/** What compare's bootstrap does after choosing its rows, the same steps in the same order. */
export function resample(job: ResampleJob): Resampled {
  const a = prepare(job.model, job.regression);
  const b = prepare(job.baseline, job.regression);
  const scoresB = numbers(b.compute().scores);
  const names = Object.keys(numbers(a.compute().scores)).filter((m) => m in scoresB);
  const statistic = deltaStatistic(a, b, names);
  const center = statistic();
  // A copy of the generator even for the first share: the job's own may still be posted to a worker.
  const rows = skipResamples(job.rows, job.first);
  const draws = resampleDeltas(statistic, names, rows, job.resamples);
  return { rows: job.rows, names, center, draws };
}

if (!isMainThread && (workerData as { job?: string } | undefined)?.job === JOB) {
  parentPort?.once('message', (job: ResampleJob) => parentPort?.postMessage(resample(job)));
}
