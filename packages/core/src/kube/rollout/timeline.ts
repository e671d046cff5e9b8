/** The steps of a rollout as the record and the summary show them: each with its weight, how long, and what was seen. */
import type { StepRecord } from '../release.ts';
import { oneLine } from './diagnose.ts';
import type { Waited } from './wait.ts';

export class Timeline {
  readonly steps: StepRecord[] = [];
  private since = Date.now();

  /** Closes the step that began when the previous one ended. */
  done(name: string, outcome: StepRecord['outcome'], seen: string, weight: number): void {
    this.steps.push({ name, weight, seconds: (Date.now() - this.since) / 1000, outcome, seen });
    this.since = Date.now();
  }
}

/** One line: the pod's problem when there is one, else why the wait ended. */
export function reasonOf(w: Waited): string {
  const d = w.diagnosis;
  if (!d) return w.reason ?? 'not ready';
  const where = `pod ${d.pod}${d.container ? `, container ${d.container}` : ''}`;
  return oneLine(
    `${d.reason} (${where}): ${d.message}${w.reason && w.reason !== d.reason ? `; ${w.reason}` : ''}`,
  );
}

export const countsOf = (w: Waited) => `${w.progress.ready}/${w.progress.desired} ready`;
