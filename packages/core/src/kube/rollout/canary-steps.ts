/**
 * A canary's steps as people write them: `10%, pause 2m, 25%, analysis, 50%, 100%`. Weights
 * only go up; the last weight is 100 (added when left out), which promotes the canary.
 */
import { InputError } from '../../errors.ts';
import { parseDuration } from '../../format/duration.ts';

export type CanaryStep =
  | { kind: 'weight'; weight: number }
  | { kind: 'pause'; ms: number }
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
    else if (t.startsWith('pause')) {
      const rest = t.slice(5).trim();
      const ms = parseDuration(rest);
      if (ms === undefined)
        throw bad(text, rest ? 'has no readable duration' : 'needs a duration in this version (pause 2m)');
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
  return 'analysis';
}
