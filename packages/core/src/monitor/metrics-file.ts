/**
 * The metrics an analysis measures: built-in names (builtins.ts) and metrics files, YAML checked
 * like a data contract: each mistake is one line with file:line:col, the key path and the fix.
 *
 *   metrics:
 *     - name: error-rate            # a built-in, with its condition changed
 *       success: result <= 0.02
 *     - name: checkout-p90          # your own PromQL
 *       query: histogram_quantile(0.9, sum by (le) (rate(http_seconds_bucket{version="{{version}}"}[{{interval}}])))
 *       samples: sum(increase(http_requests_total{version="{{version}}"}[{{interval}}]))
 *       success: result <= 0.3
 *       direction: increase
 *       critical: true
 *
 * Conditions are gate expressions (metrics/gates.ts) over `result` (this version's value) and
 * `stable` (the stable version's, when one is given); for a distribution, `result` is the
 * Jensen–Shannon distance, `p_value`, `chi_square` the chi-square test's, and `shift` the
 * distance when the test is significant at SHIFT_ALPHA (else 0).
 */
import { readFile } from 'node:fs/promises';
import { parseYaml } from '../data/contract/yaml.ts';
import { ConfigurationError, InputError, type Location } from '../errors.ts';
import { type Gate, parseGates } from '../metrics/gates.ts';
import { closest } from '../suggest.ts';
import { BUILTINS, type BuiltinName, isBuiltin } from './builtins.ts';
import { TEMPLATE_VARIABLES } from './providers/provider.ts';

export type Direction = 'increase' | 'decrease' | 'either';

export interface MetricDefinition {
  name: string;
  builtin?: BuiltinName;
  /** PromQL template; built-ins carry theirs. */
  query?: string;
  /** PromQL template counting the requests a reading rests on (min-samples). */
  samples?: string;
  shape: 'value' | 'distribution';
  /** A distribution's label (prediction-shift: `class`). */
  by?: string;
  success?: Gate;
  failure?: Gate;
  direction: Direction;
  critical: boolean;
  weight: number;
  allowedIncrease?: number;
  allowedDecrease?: number;
  /** Part of `judge: compare`. */
  compare: boolean;
  /** Where it was written: the metrics file, or the input. */
  where: Location;
}

export const VALUE_NAMES = ['result', 'stable'];
export const DISTRIBUTION_NAMES = ['result', 'p_value', 'chi_square', 'shift'];

const KEYS = [
  'name',
  'query',
  'samples',
  'by',
  'success',
  'failure',
  'direction',
  'critical',
  'weight',
  'allowed-increase',
  'allowed-decrease',
  'compare',
] as const;

/** Each entry of the `metrics` input: a built-in's name, or a metrics file (`.yml`/`.yaml`). */
export async function loadMetrics(entries: string[], input: string): Promise<MetricDefinition[]> {
  const out: MetricDefinition[] = [];
  for (const entry of entries) {
    if (/\.ya?ml$/i.test(entry)) out.push(...(await readMetricsFile(entry, input)));
    else if (isBuiltin(entry)) out.push(builtin(entry, { path: input }));
    else {
      const guess = closest(entry, [...Object.keys(BUILTINS)]);
      throw new InputError(`'${entry}' is neither a built-in metric nor a metrics file (.yml)`, {
        where: { path: input },
        fix: `${guess ? `Did you mean '${guess}'? ` : ''}Built-in: ${Object.keys(BUILTINS).join(', ')}; or a path ending in .yml.`,
      });
    }
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.name))
      throw new InputError(`metric '${m.name}' is defined twice`, {
        where: m.where,
        fix: 'Name each metric once across the built-ins and files you list.',
      });
    seen.add(m.name);
  }
  return out;
}

async function readMetricsFile(file: string, input: string): Promise<MetricDefinition[]> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read the metrics file ${file}: ${e.code ?? e.message}`, {
      where: { path: input },
      fix: 'Point it at a YAML file with a `metrics:` list, or name built-in metrics.',
    });
  });
  const parsed = parseYaml(text, file);
  /** Where the value at `path` is written; with `key`, where its last key is (an unknown key's place). */
  const at = (path: (string | number)[], onKey = false): Location => {
    const node = (
      onKey ? keyNode(parsed.doc.getIn(path.slice(0, -1), true), path.at(-1)) : parsed.doc.getIn(path, true)
    ) as { range?: [number, number] } | undefined;
    const shown = path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
      .join('')
      .replace(/^\./, '');
    if (!node?.range) return { file, path: shown };
    const pos = parsed.lines.linePos(node.range[0]);
    return { file, line: pos.line, column: pos.col, path: shown };
  };
  const root = parsed.value as { metrics?: unknown } | null;
  if (!root || typeof root !== 'object' || !Array.isArray(root.metrics))
    throw new ConfigurationError('the metrics file has no `metrics:` list', {
      where: { file },
      fix: 'Write `metrics:` followed by a list of entries, each with at least a `name`.',
    });
  return root.metrics.map((raw, i) => entryOf(raw, i, at));
}

type At = (path: (string | number)[], key?: boolean) => Location;

function keyNode(map: unknown, key: string | number | undefined): unknown {
  const items = (map as { items?: { key?: { value?: unknown } }[] } | undefined)?.items ?? [];
  return items.find((p) => p.key?.value === key)?.key;
}

function entryOf(raw: unknown, i: number, at: At): MetricDefinition {
  const bad = (key: string | undefined, what: string, fix: string) =>
    new ConfigurationError(what, { where: at(key ? ['metrics', i, key] : ['metrics', i]), fix });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw bad(undefined, 'a metric must be a mapping', 'Write `- name: …` with its keys below it.');
  const e = raw as Record<string, unknown>;
  for (const key of Object.keys(e))
    if (!(KEYS as readonly string[]).includes(key)) {
      const guess = closest(key, [...KEYS]);
      throw new ConfigurationError(`unknown key '${key}'`, {
        where: at(['metrics', i, key], true),
        fix: `${guess ? `Did you mean '${guess}'? ` : ''}Keys: ${KEYS.join(', ')}.`,
      });
    }
  const str = (key: string) => {
    const v = e[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !v.trim())
      throw bad(key, `'${key}' must be a non-empty string`, 'Quote it if it holds YAML characters.');
    return v.trim();
  };
  const name = str('name');
  if (!name || !/^[a-z][a-z0-9_-]*$/.test(name))
    throw bad(
      name ? 'name' : undefined,
      name ? `metric name '${name}' is not a name` : 'a metric has no name',
      'Use lower-case letters, digits, - and _, starting with a letter.',
    );
  const query = str('query');
  const where = at(['metrics', i]);
  const base = isBuiltin(name) && !query ? builtin(name, where) : undefined;
  if (!base && !query)
    throw bad(
      undefined,
      `metric '${name}' is not built in and has no query`,
      `Give its PromQL as \`query\`, or use a built-in: ${Object.keys(BUILTINS).join(', ')}.`,
    );
  for (const key of ['query', 'samples'] as const) {
    const template = str(key);
    for (const [, v] of template?.matchAll(/\{\{\s*(\w+)\s*\}\}/g) ?? [])
      if (!(TEMPLATE_VARIABLES as readonly string[]).includes(v!))
        throw bad(
          key,
          `unknown variable {{${v}}}`,
          `Variables: ${TEMPLATE_VARIABLES.map((t) => `{{${t}}}`).join(', ')}.`,
        );
  }
  const shape = base?.shape ?? (str('by') ? 'distribution' : 'value');
  const names = shape === 'value' ? VALUE_NAMES : DISTRIBUTION_NAMES;
  const gate = (key: 'success' | 'failure') => {
    const expr = str(key);
    if (!expr) return undefined;
    try {
      return parseGates([expr], names, key)[0];
    } catch (err) {
      if (!(err instanceof ConfigurationError)) throw err;
      throw new ConfigurationError(err.message, {
        where: at(['metrics', i, key]),
        ...(err.fix && { fix: err.fix }),
      });
    }
  };
  const num = (key: string, min: number) => {
    const v = e[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v >= min))
      throw bad(key, `'${key}' must be a number >= ${min}`, `Write e.g. ${key}: 1.`);
    return v;
  };
  const flag = (key: string) => {
    const v = e[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw bad(key, `'${key}' must be true or false`, `Write ${key}: true.`);
    return v;
  };
  const direction = e.direction ?? base?.direction ?? 'increase';
  if (direction !== 'increase' && direction !== 'decrease' && direction !== 'either')
    throw bad(
      'direction',
      `direction '${String(direction)}' is not increase, decrease or either`,
      'Say which way the metric gets worse: increase (latency, errors), decrease (accuracy) or either.',
    );
  const success = gate('success');
  const failure = gate('failure');
  const allowedIncrease = num('allowed-increase', 0);
  const allowedDecrease = num('allowed-decrease', 0);
  const by = str('by');
  const samples = str('samples');
  const { success: _s, failure: _f, ...rest } = base ?? { name, shape, compare: true };
  return {
    ...rest,
    name,
    ...(query && { query }),
    ...(samples && { samples }),
    ...(by && { by }),
    // Conditions of your own replace a built-in's both, so none is left half-overridden.
    ...conditions(
      success || failure ? { success, failure } : { success: base?.success, failure: base?.failure },
    ),
    direction,
    critical: flag('critical') ?? base?.critical ?? false,
    weight: num('weight', 0) ?? 1,
    ...(allowedIncrease !== undefined && { allowedIncrease }),
    ...(allowedDecrease !== undefined && { allowedDecrease }),
    compare: flag('compare') ?? base?.compare ?? true,
    where,
  };
}

function conditions(c: { success: Gate | undefined; failure: Gate | undefined }) {
  return { ...(c.success && { success: c.success }), ...(c.failure && { failure: c.failure }) };
}

function builtin(name: BuiltinName, where: Location): MetricDefinition {
  const b = BUILTINS[name];
  const names = b.shape === 'value' ? VALUE_NAMES : DISTRIBUTION_NAMES;
  const gate = (expr: string | undefined, key: string) =>
    expr ? parseGates([expr], names, `${name}.${key}`)[0] : undefined;
  const success = gate(b.success, 'success');
  const failure = gate(b.failure, 'failure');
  return {
    name,
    builtin: name,
    query: b.query,
    samples: b.samples,
    shape: b.shape,
    ...(b.shape === 'distribution' && { by: 'class' }),
    ...(success && { success }),
    ...(failure && { failure }),
    direction: b.direction,
    critical: name === 'error-rate',
    weight: 1,
    compare: b.compare,
    where,
  };
}
