import type { Location } from '../../errors.ts';
import type { CheckResult } from '../../report/summary.ts';
import type { Severity } from '../contract/model.ts';

/** A check result that remembers the contract line it came from, for annotations. */
export type DataCheck = CheckResult;

export function check(
  id: string,
  group: string,
  ok: boolean,
  severity: Severity,
  message: string,
  detail: { observed?: unknown; expected?: unknown; where?: Location } = {},
): DataCheck {
  return {
    id,
    group,
    status: ok ? 'pass' : severity === 'error' ? 'fail' : 'warn',
    severity,
    message,
    ...(detail.observed !== undefined && { observed: detail.observed }),
    ...(detail.expected !== undefined && { expected: detail.expected }),
    ...(detail.where && { where: detail.where }),
  };
}

export const plural = (n: number, word: string) =>
  `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
