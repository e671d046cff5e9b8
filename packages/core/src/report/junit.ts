import type { CheckResult } from './summary.ts';

const xml = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/**
 * One test case per check so GitLab's MR widget lists each. A warning is a passing case
 * with its message on system-out: JUnit has no "warned" state, and a warning must not read as red.
 */
export function renderJUnit(suite: string, checks: CheckResult[], seconds: number): string {
  const failures = checks.filter((c) => c.status === 'fail').length;
  const cases = checks.map((c) => {
    const open = `    <testcase classname="${xml(`${suite}.${c.group}`)}" name="${xml(c.id)}" time="0">`;
    if (c.status === 'fail') {
      return `${open}\n      <failure message="${xml(c.message)}" type="${c.severity}">${xml(detail(c))}</failure>\n    </testcase>`;
    }
    if (c.status === 'warn') {
      return `${open}\n      <system-out>${xml(`warning: ${c.message}`)}</system-out>\n    </testcase>`;
    }
    return `${open}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="modelship" tests="${checks.length}" failures="${failures}" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${xml(suite)}" tests="${checks.length}" failures="${failures}" errors="0" time="${seconds.toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function detail(c: CheckResult): string {
  return `${c.message}\nobserved: ${JSON.stringify(c.observed)}\nexpected: ${JSON.stringify(c.expected)}`;
}
