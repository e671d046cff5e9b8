import assert from 'node:assert/strict';
import { it } from 'node:test';
import { renderJUnit } from './junit.ts';

it('JUnit: one case per check, failures counted, warnings pass, XML escaped', () => {
  const xml = renderJUnit(
    'validate-data',
    [
      { id: 'a.ok', group: 'column.a', status: 'pass', severity: 'error', message: 'fine' },
      {
        id: 'a.min',
        group: 'column.a',
        status: 'fail',
        severity: 'error',
        message: 'value <0 & "bad"',
        observed: -1,
        expected: '>= 0',
      },
      { id: 'a.max', group: 'column.a', status: 'warn', severity: 'warning', message: 'high' },
    ],
    1.5,
  );
  assert.match(xml, /<testsuite name="validate-data" tests="3" failures="1" errors="0" time="1.500">/);
  assert.match(xml, /<failure message="value &lt;0 &amp; &quot;bad&quot;" type="error">/);
  assert.match(
    xml,
    /<testcase classname="validate-data.column.a" name="a.max" time="0">\n\s+<system-out>warning: high<\/system-out>/,
  );
  assert.equal((xml.match(/<testcase /g) ?? []).length, 3);
});
