/** The one line a user sees for a configuration error, or a failed assertion when there is none. */
import assert from 'node:assert/strict';
import { ConfigurationError } from '../../packages/core/src/errors.ts';

export async function refusal(work: Promise<unknown>): Promise<string> {
  const e = await work.then(
    () => assert.fail('expected a configuration error'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof ConfigurationError, `a ConfigurationError, not ${String(e)}`);
  const line = e.render();
  assert.doesNotMatch(line, /\n/, 'one line');
  return line;
}
