/**
 * Waiting on a remote run: look, sleep, look again, the sleeps growing from a second (a short
 * training is noticed at once) to a ceiling (a six-hour one costs few API calls), and a progress
 * line each time with what the forge tells of the run: jobs done of all, elapsed, a rough ETA.
 */
import { formatDuration } from '../../format/duration.ts';
import { type RetryPolicy, sleep } from '../../net/retry.ts';
import { FORGE_RETRY } from './api.ts';

export interface PollTuning {
  firstMs: number;
  maxMs: number;
}

export const POLL: PollTuning = { firstMs: 1_000, maxMs: 15_000 };

export interface ForgeTuning {
  poll: PollTuning;
  /** How long a dispatched run may take to show up in the run list. */
  appearMs: number;
  retry: RetryPolicy;
}

/** Tests shorten these. */
export const FORGE_TUNING: ForgeTuning = { poll: POLL, appearMs: 120_000, retry: FORGE_RETRY };

/**
 * Calls `look` until it gives a value. With `boundMs`, gives undefined once that long has passed
 * without one; an abort rejects with the signal's reason.
 */
export async function poll<T>(
  look: (elapsedMs: number) => Promise<T | undefined>,
  o: { signal: AbortSignal; tuning: PollTuning; boundMs?: number },
): Promise<T | undefined> {
  const start = Date.now();
  for (let wait = o.tuning.firstMs; ; wait = Math.min(o.tuning.maxMs, Math.round(wait * 1.5))) {
    o.signal.throwIfAborted();
    const found = await look(Date.now() - start);
    if (found !== undefined) return found;
    const elapsed = Date.now() - start;
    if (o.boundMs !== undefined && elapsed >= o.boundMs) return undefined;
    await sleep(o.boundMs === undefined ? wait : Math.min(wait, o.boundMs - elapsed), o.signal);
  }
}

export interface JobCount {
  done: number;
  total: number;
}

/** `running: 2 of 5 jobs done, 3m 10s, about 4m 45s left` — the ETA assumes the jobs left take as long as those done. */
export function progressLine(status: string, jobs: JobCount | undefined, elapsedMs: number): string {
  const parts = [status];
  if (jobs && jobs.total > 0) parts.push(`${jobs.done} of ${jobs.total} jobs done`);
  parts.push(elapsedMs < 1000 ? 'just started' : formatDuration(elapsedMs));
  if (jobs && jobs.done > 0 && jobs.done < jobs.total)
    parts.push(`about ${formatDuration((elapsedMs / jobs.done) * (jobs.total - jobs.done))} left`);
  return parts.join(', ');
}
