/** Command-line flags, `--name value` and `--name=value`, checked against the names a command knows. */

import { InputError } from '../errors.ts';
import type { StepSpec } from '../steps/spec.ts';
import { closest } from '../suggest.ts';

export interface ParsedArgs {
  flags: Record<string, string>;
  help: boolean;
}

export interface FlagSet {
  /** The command, for messages: `evaluate-model`, `serve`, `versions`. */
  command: string;
  /** Every flag name, and a word for what its value is (shown when the value is missing). */
  flags: Record<string, string>;
  /** Flags that may stand alone, meaning true. */
  booleans?: readonly string[];
  /** Flags that may repeat; their values are joined by newlines, as a list input is written. */
  repeatable?: readonly string[];
}

export function parseFlags(argv: readonly string[], set: FlagSet): ParsedArgs {
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
        fix: `Options are flags: modelship ${set.command} --help lists them.`,
      });
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!(name in set.flags)) {
      const guess = closest(name, Object.keys(set.flags));
      throw new InputError(`unknown option '--${name}' for ${set.command}`, {
        fix: `${guess ? `Did you mean --${guess}? ` : ''}Run modelship ${set.command} --help for the list.`,
      });
    }
    let value: string;
    // A next word that is itself an option means this one's value was left out, not that the
    // option is its value: `--data --contract x` must not read '--contract' as the data path.
    const next = argv[i + 1];
    const valueMissing = next === undefined || next.startsWith('--');
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (valueMissing && set.booleans?.includes(name)) value = 'true';
    else if (valueMissing)
      throw new InputError(`option '--${name}' needs a value`, {
        fix: `Write --${name} <${set.flags[name]}> (or --${name}=<value> for a value that starts with --).`,
      });
    else value = argv[++i]!;
    flags[name] =
      set.repeatable?.includes(name) && flags[name] !== undefined ? `${flags[name]}\n${value}` : value;
  }
  return { flags, help };
}

/** A step's flags are its inputs: booleans may stand alone, lists may repeat. */
export function parseArgv(spec: StepSpec, argv: readonly string[]): ParsedArgs {
  const inputs = Object.entries(spec.inputs);
  return parseFlags(argv, {
    command: spec.id,
    flags: Object.fromEntries(inputs.map(([n, f]) => [n, f.kind])),
    booleans: inputs.filter(([, f]) => f.kind === 'boolean').map(([n]) => n),
    repeatable: inputs.filter(([, f]) => f.kind === 'list').map(([n]) => n),
  });
}
