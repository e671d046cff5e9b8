/**
 * The life of every step on every face: read inputs, validate them, load the step, run it,
 * publish, and map the result to the exit codes shared by all steps:
 * 0 passed, 1 a check or gate failed, 2 usage or configuration error, 70 a bug.
 */
import { CancelledError, cancellationOf, onStopSignals } from '../cancel.ts';
import { ConfigurationError, EXIT, ISSUES_URL } from '../errors.ts';
import { retractFile } from '../files/atomic.ts';
import { checkWritable } from '../files/writable.ts';
import type { Platform } from '../platform/port.ts';
import { redact } from '../secrets/redact.ts';
import { isSecretValue, parseInputs, type StepSpec } from './spec.ts';
import type { StepDefinition } from './types.ts';

export async function runStep(step: StepDefinition, platform: Platform): Promise<number> {
  const started = performance.now();
  const cancel = onStopSignals();
  try {
    const raw = platform.readInputs(step.spec);
    // The one place secret inputs are masked: adapters only read, whatever CI they speak to.
    for (const [name, f] of Object.entries(step.spec.inputs)) {
      const value = raw[name];
      if (value && isSecretValue(f, value)) platform.mask(value);
    }
    const describe = (n: string) => platform.describeInput(n);
    const inputs = await parseInputs(step.spec, raw, describe);
    await checkOutputPaths(step.spec, inputs, describe);
    const mod = await step.load();
    const outcome = await mod.run(inputs as never, platform, cancel.signal);
    try {
      await platform.publish(step.spec, { ...outcome, seconds: (performance.now() - started) / 1000 });
    } catch (e) {
      // The step wrote its report last, believing the run over; the run now ends in an error.
      const report = outcome.outputs.report;
      if (typeof report === 'string') await retractFile(report);
      throw e;
    }
    return outcome.exitCode ?? (outcome.passed ? EXIT.passed : EXIT.failed);
  } catch (e) {
    return reportError(cancellationOf(e, cancel.signal) ?? e, platform, step.spec.id);
  } finally {
    cancel.dispose();
  }
}

/** Every path the step will write, checked before it reads anything: a typo costs milliseconds. */
async function checkOutputPaths(
  spec: StepSpec,
  inputs: Record<string, unknown>,
  describe: (name: string) => string,
): Promise<void> {
  for (const [name, f] of Object.entries(spec.inputs)) {
    const path = inputs[name];
    if (!f.writes || typeof path !== 'string') continue;
    if (f.writesUnless && inputs[f.writesUnless] === true) continue;
    await checkWritable(path, f.writes, describe(name));
  }
}

export function reportError(e: unknown, platform: Platform, step: string): number {
  if (e instanceof CancelledError) {
    platform.error(`modelship ${step} stopped: ${e.message}, before it finished; it published nothing.`);
    return e.exitCode;
  }
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
