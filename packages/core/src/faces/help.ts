/** `modelship <step> --help`, written from the step's schema like every other face. */
import { kebabToEnv } from '../platform/port.ts';
import type { StepSpec } from '../steps/spec.ts';

export function stepHelp(spec: StepSpec): string {
  const rows = Object.entries(spec.inputs).map(([name, f]) => {
    const flag = `--${name}${f.kind === 'boolean' ? '' : ` <${f.kind === 'choice' ? f.choices!.join('|') : f.kind}>`}`;
    const notes = [
      f.required ? 'required' : '',
      f.default !== undefined ? `default: ${f.default}` : '',
      f.secret ? 'secret' : '',
    ]
      .filter(Boolean)
      .join(', ');
    return [flag, `${f.description}${notes ? ` (${notes})` : ''}`] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  // The variable example names one of this step's own inputs, the one a user sets first.
  const inputs = Object.entries(spec.inputs);
  const [example] = inputs.find(([, f]) => f.required) ?? inputs[0] ?? ['name'];
  const outputs = Object.entries(spec.outputs).map(([n, o]) => `  ${n.padEnd(width - 2)}${o.description}`);
  return [
    `modelship ${spec.id} — ${spec.summary}`,
    '',
    `Usage: modelship ${spec.id} [options]`,
    '',
    `Options (also read from MODELSHIP_INPUT_<NAME> variables, e.g. MODELSHIP_INPUT_${kebabToEnv(example)} for --${example}):`,
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
    '',
    'Outputs (printed as JSON on stdout):',
    ...outputs,
    '',
    'Exit codes: 0 passed, 1 a check or gate failed, 2 usage or configuration error, 70 a bug.',
    '',
  ].join('\n');
}
