/** Command-line flags, checked against the step's schema: `--name value`, `--name=value`. */

import { InputError } from '../errors.ts';
import type { StepSpec } from '../steps/spec.ts';
import { closest } from '../suggest.ts';

export interface ParsedArgs {
  flags: Record<string, string>;
  help: boolean;
}

export function parseArgv(spec: StepSpec, argv: string[]): ParsedArgs {
  const flags: Record<string, string> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new InputError(`unexpected argument '${arg}'`, {
        fix: `Inputs are flags: modelship ${spec.id} --help lists them.`,
      });
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const f = spec.inputs[name];
    if (!f) {
      const guess = closest(name, Object.keys(spec.inputs));
      throw new InputError(`unknown option '--${name}' for ${spec.id}`, {
        fix: `${guess ? `Did you mean --${guess}? ` : ''}Run modelship ${spec.id} --help for the list.`,
      });
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (f.kind === 'boolean' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')))
      value = 'true';
    else if (argv[i + 1] === undefined)
      throw new InputError(`option '--${name}' needs a value`, { fix: `Write --${name} <${f.kind}>.` });
    else value = argv[++i]!;
    // A list may be given as repeated flags.
    flags[name] = f.kind === 'list' && flags[name] !== undefined ? `${flags[name]}\n${value}` : value;
  }
  return { flags, help };
}
