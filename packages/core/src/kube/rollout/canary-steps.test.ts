import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCanarySteps } from './canary-steps.ts';

describe('parseCanarySteps', () => {
  it('reads weights, timed pauses and analysis, and promotes at the end when 100% is left out', () => {
    assert.deepEqual(parseCanarySteps(['10%', 'pause 2m', '25 %', 'analysis', '50%'], '--steps'), [
      { kind: 'weight', weight: 10 },
      { kind: 'pause', ms: 120_000 },
      { kind: 'weight', weight: 25 },
      { kind: 'analysis' },
      { kind: 'weight', weight: 50 },
      { kind: 'weight', weight: 100 },
    ]);
  });

  it('reads a bare pause as a hold until a later run', () => {
    const steps = parseCanarySteps(['10%', 'Pause', '50%'], '--steps');
    assert.deepEqual(steps, [
      { kind: 'weight', weight: 10 },
      { kind: 'hold' },
      { kind: 'weight', weight: 50 },
      { kind: 'weight', weight: 100 },
    ]);
  });

  it('refuses weights that go down, unreadable pauses, and words it does not know', () => {
    const line = (steps: string[]) => {
      try {
        parseCanarySteps(steps, '--steps');
      } catch (e) {
        return (e as Error & { render(): string }).render();
      }
      return 'accepted';
    };
    assert.match(
      line(['50%', '20%']),
      /^--steps: canary step '20%' must be above the previous weight \(50%\)/,
    );
    assert.match(
      line(['10%', 'pause soon']),
      /^--steps: canary step 'pause soon' has no readable duration \(pause 2m, or pause alone\)/,
    );
    assert.match(
      line(['10%', 'wait 5m']),
      /'wait 5m' is not a weight, a pause or analysis\. Write steps like/,
    );
    assert.match(line(['pause 1m']), /list has no weight/);
  });
});
