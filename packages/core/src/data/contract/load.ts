/**
 * Reads a contract file and turns every mistake in it into one ConfigurationError that names
 * the file, the line and the key path, and says what the key accepts.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { type Document, isMap, isPair, isScalar, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigurationError, type Location } from '../../errors.ts';
import { closest } from '../../suggest.ts';
import type { ColumnContract, ColumnType, Contract, DriftRule, DriftTest, Rule, Severity } from './model.ts';
import { isCategorical, isNumeric } from './model.ts';
import { contractSchema, EXPECTED, type RawContract } from './schema.ts';
import { parseYaml } from './yaml.ts';

type Path = (string | number)[];

class Locator {
  readonly file: string;
  private readonly doc: Document.Parsed;
  private readonly lines: LineCounter;
  constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  /** The line of the value at `path`, or of the nearest ancestor that exists. */
  at(path: Path, key?: string): Location {
    const shown = [...path, ...(key ? [key] : [])].join('.');
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length
        ? (this.doc.getIn(p, true) as Node | undefined)
        : (this.doc.contents as Node | null);
      if (node?.range) {
        let offset = node.range[0];
        if (key && isMap(node)) {
          const pair = node.items.find((i) => isPair(i) && isScalar(i.key) && i.key.value === key);
          const keyNode = pair?.key as Node | undefined;
          if (keyNode?.range) offset = keyNode.range[0];
        }
        const { line, col } = this.lines.linePos(offset);
        return { file: this.file, line, column: col, ...(shown && { path: shown }) };
      }
      if (p.length === 0) return { file: this.file, ...(shown && { path: shown }) };
    }
  }
}

export async function loadContract(path: string): Promise<Contract> {
  const file = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new ConfigurationError(`contract '${file}' ${why}`, {
      fix: 'Check the contract input: the path is relative to the working directory.',
    });
  }
  return parseContract(text, file);
}

export function parseContract(text: string, file: string): Contract {
  const { doc, lines, value: raw } = parseYaml(text, file);
  const at = new Locator(file, doc, lines);
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigurationError(
      `the contract is ${describe(raw)}; it must be a YAML mapping with a columns: section`,
      {
        where: doc.contents ? at.at([]) : { file, line: 1, column: 1 },
        fix: 'Start from the example in the validate-data README.',
      },
    );
  }
  const parsed = contractSchema.safeParse(raw);
  if (!parsed.success) throw schemaError(parsed.error, at);
  return normalise(parsed.data, at);
}

const describe = (value: unknown) =>
  value === null || value === undefined ? 'empty' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;

function schemaError(error: z.ZodError, at: Locator): ConfigurationError {
  const issue = error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const allowed = allowedKeys(path);
    const guess = closest(key, allowed);
    return new ConfigurationError(`unknown key '${key}'`, {
      where: at.at(path, key),
      fix: `${guess ? `Did you mean '${guess}'? ` : ''}Valid keys here: ${allowed.join(', ')}.`,
    });
  }
  const last = [...path].reverse().find((p) => typeof p === 'string' && p in EXPECTED) as string | undefined;
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  if (missing) {
    return new ConfigurationError(`missing required key '${String(path[path.length - 1])}'`, {
      where: at.at(path.slice(0, -1)),
      fix: `Add it: ${EXPECTED[String(path[path.length - 1])] ?? 'see the validate-data README'}.`,
    });
  }
  return new ConfigurationError(`invalid value (${issue.message.toLowerCase()})`, {
    where: at.at(path),
    fix: `Expected ${last ? EXPECTED[last] : 'a value of the documented shape'}.`,
  });
}

/** The keys the schema accepts at a path, for "valid keys here". */
function allowedKeys(path: Path): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal shape by key
  let schema: any = contractSchema;
  for (const p of path) {
    while (schema?.def?.innerType) schema = schema.def.innerType;
    if (schema?.def?.type === 'record') schema = schema.def.valueType;
    else if (schema?.def?.type === 'array') schema = schema.def.element;
    else if (schema?.shape && typeof p === 'string') schema = schema.shape[p];
    while (schema?.def?.innerType) schema = schema.def.innerType;
    if (schema?.def?.type === 'union') schema = schema.def.options.find((o: { shape?: unknown }) => o.shape);
  }
  while (schema?.def?.innerType) schema = schema.def.innerType;
  return schema?.shape ? Object.keys(schema.shape) : [];
}

function normalise(raw: RawContract, at: Locator): Contract {
  const top: Severity = raw.severity ?? 'error';
  const driftDefaults = raw.drift ?? {};
  const names = Object.keys(raw.columns);
  const known = (name: string, where: Location, what: string) => {
    if (!raw.columns[name]) {
      const guess = closest(name, names);
      throw new ConfigurationError(`${what} names column '${name}', which the contract does not declare`, {
        where,
        fix: `${guess ? `Did you mean '${guess}'? ` : ''}Declare it under columns: or use one of: ${names.join(', ')}.`,
      });
    }
  };

  const columns: ColumnContract[] = Object.entries(raw.columns).map(([name, c]) => {
    const base = ['columns', name];
    const sev: Severity = c.severity ?? top;
    const r = <T>(key: string, v: RawRule<T> | undefined) => resolveRule(v, sev, at.at([...base, key]));
    const col: ColumnContract = {
      name,
      type: c.type,
      where: at.at(base),
      required: r('required', c.required) ?? { value: true, severity: sev, where: at.at(base) },
    };
    const set = <K extends keyof ColumnContract>(k: K, v: ColumnContract[K] | undefined) => {
      if (v !== undefined) col[k] = v;
    };
    set('nullable', r('nullable', c.nullable));
    set('maxNullFraction', r('max_null_fraction', c.max_null_fraction));
    set('min', r('min', c.min));
    set('max', r('max', c.max));
    set('allowed', r('allowed', c.allowed));
    set('regex', r('regex', c.regex));
    set('unique', r('unique', c.unique));
    checkColumnRules(col);
    const drift = driftRule(c.drift, driftDefaults, at.at([...base, 'drift']), col.type);
    if (drift) col.drift = drift;
    return col;
  });

  const ds = raw.dataset ?? {};
  const dsSev: Severity = ds.severity ?? top;
  const dsRule = <T>(key: string, v: RawRule<T> | undefined) =>
    resolveRule(v, dsSev, at.at(['dataset', key]));
  const contract: Contract = {
    file: at.file,
    columns,
    leakage: (ds.leakage ?? []).map((l, i) => {
      const where = at.at(['dataset', 'leakage', i]);
      for (const c of l.columns ?? [])
        known(c, at.at(['dataset', 'leakage', i, 'columns']), 'dataset.leakage');
      return {
        against: l.against,
        ...(l.columns && { columns: l.columns }),
        maxSharedRows: l.max_shared_rows ?? 0,
        severity: l.severity ?? dsSev,
        where,
      };
    }),
    extraColumns: ds.extra_columns ?? 'allow',
    extraColumnsWhere: at.at(['dataset', 'extra_columns']),
    checks: (raw.checks ?? []).map((c, i) => ({
      id: c.id,
      ...(c.description && { description: c.description }),
      query: c.query,
      max: c.max ?? 0,
      severity: c.severity ?? top,
      where: at.at(['checks', i, 'query']),
    })),
    driftThresholds: {
      ks: driftDefaults.thresholds?.ks,
      chi2: driftDefaults.thresholds?.chi2,
      psi: driftDefaults.thresholds?.psi,
      wasserstein: driftDefaults.thresholds?.wasserstein,
      jensenshannon: driftDefaults.thresholds?.jensenshannon,
    },
  };
  if (ds.rows) {
    if (ds.rows.min !== undefined && ds.rows.max !== undefined && ds.rows.min > ds.rows.max) {
      throw new ConfigurationError('rows.min is greater than rows.max', {
        where: at.at(['dataset', 'rows']),
        fix: 'Swap or correct the bounds.',
      });
    }
    contract.rows = {
      ...(ds.rows.min !== undefined && { min: ds.rows.min }),
      ...(ds.rows.max !== undefined && { max: ds.rows.max }),
      severity: ds.rows.severity ?? dsSev,
      where: at.at(['dataset', 'rows']),
    };
  }
  const dup = dsRule('max_duplicate_rows', ds.max_duplicate_rows);
  if (dup) contract.maxDuplicateRows = dup;
  const dupF = dsRule('max_duplicate_fraction', ds.max_duplicate_fraction);
  if (dupF) contract.maxDuplicateFraction = dupF;
  if (ds.label) {
    const where = at.at(['dataset', 'label', 'column']);
    known(ds.label.column, where, 'dataset.label.column');
    contract.label = {
      column: ds.label.column,
      ...(ds.label.min_class_fraction !== undefined && { minClassFraction: ds.label.min_class_fraction }),
      severity: ds.label.severity ?? dsSev,
      where,
    };
  }
  const ids = new Set<string>();
  for (const c of contract.checks) {
    if (ids.has(c.id)) {
      throw new ConfigurationError(`two checks share the id '${c.id}'`, {
        where: c.where,
        fix: 'Give each check its own id.',
      });
    }
    ids.add(c.id);
  }
  return contract;
}

type RawRule<T> = T | { value: T; severity?: Severity };

/** A rule is written as its value, or as { value, severity } to override the severity. */
function resolveRule<T>(v: RawRule<T> | undefined, severity: Severity, where: Location): Rule<T> | undefined {
  if (v === undefined) return undefined;
  const long = typeof v === 'object' && v !== null && !Array.isArray(v) && 'value' in v;
  return long
    ? {
        value: (v as { value: T }).value,
        severity: (v as { severity?: Severity }).severity ?? severity,
        where,
      }
    : { value: v as T, severity, where };
}

function checkColumnRules(c: ColumnContract) {
  const numeric = isNumeric(c.type);
  const wrong = (rule: Rule<unknown>, what: string, fix: string) => {
    throw new ConfigurationError(`column '${c.name}' is ${c.type}, so ${what}`, { where: rule.where, fix });
  };
  for (const bound of [c.min, c.max]) {
    if (!bound) continue;
    if (numeric && typeof bound.value !== 'number')
      wrong(bound, 'its bounds must be numbers', 'Write the bound as a number.');
    if (
      c.type === 'timestamp' &&
      (typeof bound.value !== 'string' || Number.isNaN(Date.parse(bound.value)))
    ) {
      wrong(bound, 'its bounds must be ISO dates', "Write e.g. '2024-01-01' or '2024-01-01T00:00:00Z'.");
    }
    if (!numeric && c.type !== 'timestamp')
      wrong(bound, 'min and max do not apply', 'Use allowed: or regex: instead.');
  }
  if (
    c.min &&
    c.max &&
    typeof c.min.value === 'number' &&
    typeof c.max.value === 'number' &&
    c.min.value > c.max.value
  ) {
    wrong(c.min, 'min must not exceed max', 'Swap or correct the bounds.');
  }
  if (c.regex && !(c.type === 'string' || c.type === 'category')) {
    wrong(c.regex, 'regex does not apply', 'Use regex on string or category columns.');
  }
  if (c.allowed && numeric && c.allowed.value.some((v) => typeof v !== 'number')) {
    wrong(c.allowed, 'its allowed values must be numbers', 'List numbers, or change the type to category.');
  }
}

function driftRule(
  setting: z.infer<typeof import('./schema.ts').driftSettingSchema> | undefined,
  defaults: NonNullable<RawContract['drift']>,
  where: Location,
  type: ColumnType,
): DriftRule | undefined {
  const obj = typeof setting === 'object' ? setting : undefined;
  const test = (typeof setting === 'string' ? setting : obj?.test) ?? defaults.test ?? 'auto';
  if (test === 'off') return undefined;
  if (type === 'timestamp' && test === 'auto') return undefined;
  const numericOnly: DriftTest[] = ['ks', 'psi', 'wasserstein'];
  const fits = numericOnly.includes(test as DriftTest)
    ? isNumeric(type)
    : test !== 'chi2' || isCategorical(type);
  // A contract-wide default that does not fit this column's type simply skips it; only a
  // test named on the column itself is a mistake to report.
  const explicit = typeof setting === 'string' || obj?.test !== undefined;
  if (!fits && !explicit) return undefined;
  if (numericOnly.includes(test as DriftTest) && !isNumeric(type)) {
    throw new ConfigurationError(`drift test '${test}' needs a numeric column, and this one is ${type}`, {
      where,
      fix: 'Use chi2 or jensenshannon for categorical columns, or auto.',
    });
  }
  if (test === 'chi2' && !isCategorical(type)) {
    throw new ConfigurationError(`drift test 'chi2' needs a categorical column, and this one is ${type}`, {
      where,
      fix: 'Use ks, psi, wasserstein or jensenshannon for numeric columns, or auto.',
    });
  }
  return {
    test: test as DriftTest | 'auto',
    ...(obj?.threshold !== undefined && { threshold: obj.threshold }),
    severity: obj?.severity ?? defaults.severity ?? 'error',
    bins: obj?.bins ?? defaults.bins ?? 10,
    where,
  };
}
