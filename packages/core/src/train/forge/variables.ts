/**
 * What a dispatched pipeline receives: the `inputs` list (`name=value`, one per line) and the
 * training params, which are added to them under their own names; an input given twice, or both
 * ways, is refused rather than silently overridden.
 */
import { InputError } from '../../errors.ts';

export function pipelineVariables(
  lines: readonly string[],
  params: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!name)
      throw new InputError(`'${line}' is not name=value`, {
        where: { path: 'inputs' },
        fix: 'Write one input per line as name=value.',
      });
    if (name in out) throw twice(name);
    out[name] = line.slice(eq + 1);
  }
  for (const [name, value] of Object.entries(params)) {
    if (name in out) throw twice(name);
    out[name] = value;
  }
  return out;
}

const twice = (name: string) =>
  new InputError(`'${name}' is given more than once`, {
    where: { path: 'inputs' },
    fix: 'Give each input once; params are sent as inputs too, under their own names.',
  });
