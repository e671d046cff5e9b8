/**
 * One schema per step, read by every face: the action's action.yml, the GitLab component's
 * `spec: inputs`, the CLI's flags and help, and the README tables are all generated from it.
 * Every input arrives as a string (an `INPUT_*` variable, a template variable, a flag), so each
 * field's zod schema parses that string into the typed value the step works with.
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';

export type FieldKind = 'string' | 'path' | 'boolean' | 'number' | 'choice' | 'list';

export interface Field<T = unknown> {
  kind: FieldKind;
  description: string;
  /** Default as the user would type it; absent means optional-without-default or required. */
  default?: string;
  required: boolean;
  example?: string;
  choices?: readonly string[];
  /** Masked in every log and never written to a report. */
  secret?: boolean;
  schema: z.ZodType<T>;
}

interface FieldOptions {
  description: string;
  default?: string;
  required?: boolean;
  example?: string;
  secret?: boolean;
}

function field<T>(
  kind: FieldKind,
  schema: z.ZodType<T>,
  o: FieldOptions,
  choices?: readonly string[],
): Field<T> {
  return {
    kind,
    description: o.description,
    ...(o.default !== undefined && { default: o.default }),
    required: o.required ?? false,
    ...(o.example !== undefined && { example: o.example }),
    ...(choices && { choices }),
    ...(o.secret && { secret: true }),
    schema,
  };
}

const text = z.string().trim();

export const input = {
  string: (o: FieldOptions) => field('string', text, o),
  path: (o: FieldOptions) => field('path', text, o),
  number: (o: FieldOptions & { min?: number; max?: number; integer?: boolean }) => {
    let n = z.number();
    if (o.integer) n = n.int();
    if (o.min !== undefined) n = n.min(o.min);
    if (o.max !== undefined) n = n.max(o.max);
    const schema = text.pipe(
      z
        .string()
        .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'expected a number')
        .transform(Number)
        .pipe(n),
    );
    return field<number>('number', schema, o);
  },
  boolean: (o: FieldOptions) => {
    const schema = text
      .toLowerCase()
      .pipe(z.enum(['true', 'false'], { error: 'expected true or false' }))
      .transform((v) => v === 'true');
    return field<boolean>('boolean', schema, o);
  },
  choice: <const C extends readonly [string, ...string[]]>(choices: C, o: FieldOptions) =>
    field<C[number]>('choice', text.pipe(z.enum(choices)), o, choices),
  /** Newline- or comma-separated values, as multi-line YAML strings give them. */
  list: (o: FieldOptions) => {
    const schema = z.string().transform((v) =>
      v
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter((s) => s !== '' && !s.startsWith('#')),
    );
    return field<string[]>('list', schema, o);
  },
};

export interface OutputField {
  description: string;
  example?: string;
}

type FieldsOf = Record<string, Field>;
export type InputsOf<F extends FieldsOf> = {
  [K in keyof F]: F[K] extends Field<infer T> ? (F[K]['required'] extends true ? T : T | undefined) : never;
};

export interface StepSpec<F extends FieldsOf = FieldsOf, O extends string = string> {
  id: string;
  title: string;
  /** One sentence for tables and `--help`. */
  summary: string;
  inputs: F;
  outputs: Record<O, OutputField>;
}

export function defineStep<F extends FieldsOf, O extends string>(spec: StepSpec<F, O>): StepSpec<F, O> {
  for (const name of [...Object.keys(spec.inputs), ...Object.keys(spec.outputs)]) {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name))
      throw new Error(`${spec.id}: '${name}' is not kebab-case`);
  }
  return spec;
}

/** Raw strings in, typed inputs out; the first problem found is one InputError naming the input. */
export function parseInputs<F extends FieldsOf>(
  spec: StepSpec<F>,
  raw: Record<string, string | undefined>,
  origin: (name: string) => string,
): InputsOf<F> {
  for (const name of Object.keys(raw)) {
    if (!(name in spec.inputs)) {
      const valid = Object.keys(spec.inputs).join(', ');
      throw new InputError(`unknown input '${name}' for ${spec.id}`, { fix: `Valid inputs: ${valid}.` });
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.inputs)) {
    const given = raw[name];
    const value = given === undefined || given.trim() === '' ? f.default : given;
    if (value === undefined || value === '') {
      if (f.required) {
        throw new InputError(`missing required input '${name}' (${f.description.replace(/\.$/, '')})`, {
          fix: `Set ${origin(name)}${f.example ? `, e.g. ${f.example}` : ''}.`,
        });
      }
      out[name] = f.kind === 'list' ? [] : undefined;
      continue;
    }
    const parsed = f.schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const shown = f.secret ? '***' : JSON.stringify(value);
      const expected = f.choices ? `one of ${f.choices.join(', ')}` : (issue?.message ?? 'a valid value');
      throw new InputError(`input '${name}' is ${shown}, expected ${expected}`, {
        fix: `Change ${origin(name)}${f.example ? `, e.g. ${f.example}` : ''}.`,
      });
    }
    out[name] = parsed.data;
  }
  return out as InputsOf<F>;
}
