/**
 * A canary's steps as people write them: `10%, pause 2m, 25%, analysis, 50%, pause, 100%`. Weights
 * only go up; the last weight is 100 (added when left out), which promotes the canary. A `pause`
 * without a duration ends the run there (status `paused`); a later run of the same image resumes
 * from the step after it.
 */
import { InputError } from '../../errors.ts';
import { parseDuration } from '../../format/duration.ts';

export type CanaryStep =
  | { kind: 'weight'; weight: number }
  | { kind: 'pause'; ms: number }
  /** A bare `pause`: held until a later run resumes. */
  | { kind: 'hold' }
  | { kind: 'analysis' };

export function parseCanarySteps(list: readonly string[], input: string): CanaryStep[] {
  const steps: CanaryStep[] = [];
  let last = 0;
  const bad = (text: string, why: string) =>
    new InputError(`canary step '${text}' ${why}`, {
      where: { path: input },
      fix: 'Write steps like: 10%, pause 2m, 25%, analysis, 50%, 100%.',
    });
  for (const text of list) {
    const t = text.trim().toLowerCase();
    const weight = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
    if (weight) {
      const w = Number(weight[1]);
      if (w <= last || w > 100)
        throw bad(text, `must be above the previous weight (${last}%) and at most 100%`);
      steps.push({ kind: 'weight', weight: w });
      last = w;
    } else if (t === 'analysis') steps.push({ kind: 'analysis' });
    else if (t === 'pause') steps.push({ kind: 'hold' });
    else if (t.startsWith('pause')) {
      const ms = parseDuration(t.slice(5).trim());
      if (ms === undefined) throw bad(text, 'has no readable duration (pause 2m, or pause alone)');
      steps.push({ kind: 'pause', ms });
    } else throw bad(text, 'is not a weight, a pause or analysis');
  }
  if (!steps.some((s) => s.kind === 'weight')) throw bad(list.join(', ') || '(none)', 'list has no weight');
  if (last !== 100) steps.push({ kind: 'weight', weight: 100 });
  return steps;
}

export function describeStep(s: CanaryStep): string {
  if (s.kind === 'weight') return `${s.weight}%`;
  if (s.kind === 'pause') return `pause ${Math.round(s.ms / 1000)}s`;
  if (s.kind === 'hold') return 'pause';
  return 'analysis';
}
