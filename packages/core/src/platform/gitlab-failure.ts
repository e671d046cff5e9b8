/**
 * What a GitLab job leaves when the step stops before it has a result (a configuration error, or
 * a bug): the same dotenv, JUnit and summary reports as a finished run, so a later job reads
 * `<STEP>_PASSED=false` and `<STEP>_ERROR`, and the merge request widget shows one failing test
 * case with the line the log shows.
 */
import type { StepResult } from './port.ts';

/** GitLab refuses a whole dotenv report over 5 KiB; one line of an error never needs more. */
const MAX_ERROR = 1000;

export function failureResult(step: string, message: string): StepResult {
  const [first = '', ...rest] = message.split(/\r?\n/);
  const line = first.length > MAX_ERROR ? `${first.slice(0, MAX_ERROR - 1)}…` : first;
  const detail = rest.join('\n').trim();
  return {
    passed: false,
    outputs: { passed: false, error: line },
    summary: {
      title: `modelship ${step}`,
      passed: false,
      headline: line,
      blocks: detail ? [{ kind: 'text', text: `\`\`\`\n${detail}\n\`\`\`` }] : [],
    },
    checks: [
      {
        id: `${step} could not run`,
        group: 'configuration',
        status: 'fail',
        severity: 'error',
        message: line,
        ...(detail && { observed: detail }),
      },
    ],
    seconds: 0,
  };
}
