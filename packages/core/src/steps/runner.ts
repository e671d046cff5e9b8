/**
 * The life of every step on every face: read inputs, validate them, load the step, run it,
 * publish, and map the result to the exit codes shared by all steps:
 * 0 passed, 1 a check or gate failed, 2 usage or configuration error, 70 a bug.
 */
import { ConfigurationError, EXIT, ISSUES_URL } from '../errors.ts';
import type { Platform } from '../platform/port.ts';
import { redact } from '../platform/redact.ts';
import { parseInputs } from './spec.ts';
import type { StepDefinition } from './types.ts';

export async function runStep(step: StepDefinition, platform: Platform): Promise<number> {
  const started = performance.now();
  try {
    const raw = platform.readInputs(step.spec);
    for (const [name, f] of Object.entries(step.spec.inputs)) {
      const value = raw[name];
      if (f.secret && value) platform.mask(value);
    }
    const inputs = await parseInputs(step.spec, raw, (n) => platform.describeInput(n));
    const mod = await step.load();
    const outcome = await mod.run(inputs as never, platform);
    await platform.publish(step.spec, { ...outcome, seconds: (performance.now() - started) / 1000 });
    return outcome.passed ? EXIT.passed : EXIT.failed;
  } catch (e) {
    return reportError(e, platform, step.spec.id);
  }
}

export function reportError(e: unknown, platform: Platform, step: string): number {
  if (e instanceof ConfigurationError) {
    platform.error(e.render(), e.where);
    return EXIT.configuration;
  }
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  platform.error(
    `modelship ${step} failed unexpectedly; this is a bug.\n${redact(stack)}\nPlease report it: ${ISSUES_URL}`,
  );
  return EXIT.bug;
}
