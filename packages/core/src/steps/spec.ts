/**
 * One schema per step, read by every face: the action's action.yml, the GitLab component's
 * `spec: inputs`, the CLI's flags and help, and the README tables are all generated from it.
 * Every input arrives as a string (an `INPUT_*` variable, a template variable, a flag), so each
 * field's zod schema parses that string into the typed value the step works with.
 */
import type { z as Zod } from 'zod';
import { InputError } from '../errors.ts';
import type { OutputKind } from '../files/writable.ts';

/** zod is only loaded once a value needs parsing, so a step with a missing input fails in milliseconds. */
type Z = typeof Zod;
type Build<T> = (z: Z) => Zod.ZodType<T>;

export type FieldKind = 'string' | 'path' | 'boolean' | 'number' | 'choice' | 'list';

/**
 * `Present` is true when parseInputs always yields a value (the input is required, has a default,
 * or is a list), so a step reads it without restating the default or asserting it is there.
 */
export interface Field<T = unknown, Present extends boolean = boolean> {
  /** Type-only: never set. */
  readonly present?: Present;
  kind: FieldKind;
  description: string;
  /** Default as the user would type it; absent means optional-without-default or required. */
  default?: string;
  required: boolean;
  example?: string;
  choices?: readonly string[];
  /**
   * Masked in every log and never written to a report; a function says which values are secrets
   * (a kubeconfig's content is, the path of its file is not).
   */
  secret?: boolean | ((value: string) => boolean);
  /** A default only action.yml can give, e.g. `${{ github.token }}`. */
  githubDefault?: string;
  /** What a valid value looks like, in words, for errors. */
  expects: string;
  /** The input is a path the step writes, checked before the step starts (see runner.ts). */
  writes?: OutputKind;
  /** A boolean input that, when true, means the step does not write this path (build-image's push). */
  writesUnless?: string;
  schema: Build<T>;
}

interface FieldOptions {
  description: string;
  expects?: string;
  default?: string;
  required?: boolean;
  example?: string;
  secret?: boolean | ((value: string) => boolean);
  githubDefault?: string;
}

interface PathOptions extends FieldOptions {
  writes?: OutputKind;
  writesUnless?: string;
}

type PresentOf<O extends FieldOptions> = O extends { default: string } | { required: true } ? true : false;

function field<T, P extends boolean>(
  kind: FieldKind,
  schema: Build<T>,
  o: PathOptions,
  choices?: readonly string[],
): Field<T, P> {
  return {
    kind,
    description: o.description,
    ...(o.default !== undefined && { default: o.default }),
    required: o.required ?? false,
    ...(o.example !== undefined && { example: o.example }),
    ...(choices && { choices }),
    ...(o.secret && { secret: o.secret }),
    ...(o.githubDefault && { githubDefault: o.githubDefault }),
    expects: o.expects ?? (choices ? `one of ${choices.join(', ')}` : 'a value'),
    ...(o.writes && { writes: o.writes }),
    ...(o.writesUnless && { writesUnless: o.writesUnless }),
    schema,
  };
}

const text = (z: Z) => z.string().trim();

/** Whether this value of the input is a secret: masked from the start, never quoted. */
export function isSecretValue(f: Pick<Field<unknown, boolean>, 'secret'>, value: string): boolean {
  return typeof f.secret === 'function' ? f.secret(value) : f.secret === true;
}

export const input = {
  string: <const O extends FieldOptions>(o: O) => field<string, PresentOf<O>>('string', text, o),
  path: <const O extends PathOptions>(o: O) => field<string, PresentOf<O>>('path', text, o),
  number: <const O extends FieldOptions & { min?: number; max?: number; integer?: boolean }>(o: O) =>
    field<number, PresentOf<O>>(
      'number',
      (z) => {
        let n = z.number();
        if (o.integer) n = n.int();
        if (o.min !== undefined) n = n.min(o.min);
        if (o.max !== undefined) n = n.max(o.max);
        return text(z).pipe(
          z
            .string()
            .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'expected a number')
            .transform(Number)
            .pipe(n),
        );
      },
      {
        ...o,
        expects: `a ${o.integer ? 'whole ' : ''}number${o.min !== undefined ? ` >= ${o.min}` : ''}${o.max !== undefined ? ` <= ${o.max}` : ''}`,
      },
    ),
  boolean: <const O extends FieldOptions>(o: O) =>
    field<boolean, PresentOf<O>>(
      'boolean',
      (z) =>
        text(z)
          .toLowerCase()
          .pipe(z.enum(['true', 'false'], { error: 'expected true or false' }))
          .transform((v) => v === 'true'),
      { ...o, expects: 'true or false' },
    ),
  choice: <const C extends readonly [string, ...string[]], const O extends FieldOptions>(choices: C, o: O) =>
    field<C[number], PresentOf<O>>('choice', (z) => text(z).pipe(z.enum(choices)), o, choices),
  /** Newline- or comma-separated values, as multi-line YAML strings give them. */
  /** Always present: an absent list is an empty one. */
  list: (o: FieldOptions) =>
    field<string[], true>(
      'list',
      (z) =>
        z.string().transform((v) =>
          v
            .split(/[\n,]/)
            .map((s) => s.trim())
            .filter((s) => s !== '' && !s.startsWith('#')),
        ),
      o,
    ),
};

export interface OutputField {
  description: string;
  example?: string;
}

type FieldsOf = Record<string, Field>;
/** What parseInputs yields: required inputs, inputs with a default, and lists are always there. */
export type InputsOf<F extends FieldsOf> = {
  [K in keyof F]: F[K] extends Field<infer T, infer P> ? (P extends true ? T : T | undefined) : never;
};

export interface StepSpec<F extends FieldsOf = FieldsOf, O extends string = string> {
  id: string;
  title: string;
  /** One sentence for tables and `--help`. */
  summary: string;
  inputs: F;
  outputs: Record<O, OutputField>;
  /** The step reports headline metrics, so the GitLab component declares a metrics report. */
  metricsReport?: boolean;
}

export function defineStep<F extends FieldsOf, O extends string>(spec: StepSpec<F, O>): StepSpec<F, O> {
  for (const name of [...Object.keys(spec.inputs), ...Object.keys(spec.outputs)]) {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name))
      throw new Error(`${spec.id}: '${name}' is not kebab-case`);
  }
  for (const [name, f] of Object.entries(spec.inputs)) {
    if (f.writesUnless && spec.inputs[f.writesUnless]?.kind !== 'boolean')
      throw new Error(
        `${spec.id}: '${name}' is written unless '${f.writesUnless}', which is no boolean input`,
      );
  }
  return spec;
}

/** Raw strings in, typed inputs out; the first problem found is one InputError naming the input. */
export async function parseInputs<F extends FieldsOf>(
  spec: StepSpec<F>,
  raw: Record<string, string | undefined>,
  origin: (name: string) => string,
): Promise<InputsOf<F>> {
  for (const name of Object.keys(raw)) {
    if (!(name in spec.inputs)) {
      const valid = Object.keys(spec.inputs).join(', ');
      throw new InputError(`unknown input '${name}' for ${spec.id}`, { fix: `Valid inputs: ${valid}.` });
    }
  }
  const given: [string, Field, string][] = [];
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.inputs)) {
    const value = raw[name] === undefined || raw[name]!.trim() === '' ? f.default : raw[name];
    if (value !== undefined && value !== '') {
      given.push([name, f, value]);
      continue;
    }
    if (f.required) {
      throw new InputError(`missing required input '${name}' (${f.description.replace(/\.$/, '')})`, {
        fix: `Set ${origin(name)}${f.example ? `, e.g. ${f.example}` : ''}.`,
      });
    }
    out[name] = f.kind === 'list' ? [] : undefined;
  }
  const { z } = await import('zod');
  for (const [name, f, value] of given) {
    const parsed = f.schema(z).safeParse(value);
    if (!parsed.success) {
      const shown = isSecretValue(f, String(value)) ? '***' : JSON.stringify(value);
      throw new InputError(`input '${name}' is ${shown}, expected ${f.expects}`, {
        fix: `Change ${origin(name)}${f.example ? `, e.g. ${f.example}` : ''}.`,
      });
    }
    out[name] = parsed.data;
  }
  return out as InputsOf<F>;
}
