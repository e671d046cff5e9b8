/** Rules about the dataset as a whole: readability, size, duplicates, labels, leakage. */
import { basename } from 'node:path';
import { formatValue } from '../../report/summary.ts';
import type { Contract, LeakageRule } from '../contract/model.ts';
import { DUCKDB_TYPE } from '../contract/model.ts';
import { type Engine, ident } from '../engine.ts';
import { type LoadedTable, loadTable } from '../load.ts';
import { resolveSource } from '../sources.ts';
import { check, type DataCheck, plural } from './result.ts';

/** Rows the reader could not parse; type errors are reported by their column's type check. */
export function readableCheck(data: LoadedTable, name: string): DataCheck {
  const problems = data.problems.filter((p) => p.kind !== 'CAST');
  if (data.empty) {
    return check('data.readable', 'data', false, 'error', `${name} is empty (no header, no rows)`, {
      observed: 'empty file',
      expected: 'a header and rows',
    });
  }
  if (problems.length === 0) return check('data.readable', 'data', true, 'error', `${name} parsed cleanly`);
  const shown = problems
    .slice(0, 3)
    .map((p) => `${p.file}${p.line ? `:${p.line}` : ''} ${p.message}`)
    .join('; ');
  const rows = problems.filter((p) => p.line !== undefined).length;
  return check(
    'data.readable',
    'data',
    false,
    'error',
    rows
      ? `${plural(rows, 'row')} could not be parsed and were set aside: ${shown}`
      : `${name} could not be read: ${shown}`,
    {
      observed: problems.slice(0, 10),
      expected: 'no unparseable rows',
    },
  );
}

export function rowsCheck(data: LoadedTable, contract: Contract): DataCheck {
  const min = contract.rows?.min ?? 1;
  const max = contract.rows?.max;
  const sev = contract.rows?.severity ?? 'error';
  const ok = data.rows >= min && (max === undefined || data.rows <= max);
  const expected = max === undefined ? `>= ${min}` : `${min}..${max}`;
  return check('dataset.rows', 'dataset', ok, sev, `${plural(data.rows, 'row')} (expected ${expected})`, {
    observed: data.rows,
    expected,
    ...(contract.rows && { where: contract.rows.where }),
  });
}

export function extraColumnsCheck(data: LoadedTable, contract: Contract): DataCheck | undefined {
  if (contract.extraColumns === 'allow') return undefined;
  const declared = new Set(contract.columns.map((c) => c.name));
  const extra = [...data.columns.keys()].filter((c) => !declared.has(c));
  const sev = contract.extraColumns === 'forbid' ? 'error' : 'warning';
  return check(
    'dataset.extra_columns',
    'dataset',
    extra.length === 0,
    sev,
    extra.length ? `columns not in the contract: ${extra.join(', ')}` : 'no columns beyond the contract',
    {
      observed: extra,
      expected: [],
      where: contract.extraColumnsWhere,
    },
  );
}

export async function duplicateChecks(
  engine: Engine,
  data: LoadedTable,
  contract: Contract,
): Promise<DataCheck[]> {
  if (!contract.maxDuplicateRows && !contract.maxDuplicateFraction) return [];
  const n = await duplicateRows(engine, data);
  const out: DataCheck[] = [];
  if (contract.maxDuplicateRows) {
    const rule = contract.maxDuplicateRows;
    out.push(
      check(
        'dataset.duplicates',
        'dataset',
        n <= rule.value,
        rule.severity,
        `${plural(n, 'duplicate row')} (at most ${rule.value})`,
        {
          observed: n,
          expected: `<= ${rule.value}`,
          where: rule.where,
        },
      ),
    );
  }
  if (contract.maxDuplicateFraction) {
    const rule = contract.maxDuplicateFraction;
    const f = data.rows ? n / data.rows : 0;
    out.push(
      check(
        'dataset.duplicate_fraction',
        'dataset',
        f <= rule.value,
        rule.severity,
        `duplicate fraction ${formatValue(f)} (at most ${rule.value})`,
        {
          observed: f,
          expected: `<= ${rule.value}`,
          where: rule.where,
        },
      ),
    );
  }
  return out;
}

/**
 * Rows equal to an earlier row. Only rows that share a 64-bit hash of every column can be
 * equal, so one GROUP BY on the hash finds them, and the exact comparison of whole rows runs on
 * those alone: a DISTINCT over every column of every row cost about twice as much, and there
 * is usually nothing to compare. hash() treats NULL, −0 and NaN as DISTINCT does.
 */
async function duplicateRows(engine: Engine, data: LoadedTable): Promise<number> {
  const t = ident(data.table);
  const row = `hash(${[...data.columns.keys()].map(ident).join(', ')})`;
  const shared = `SELECT ${row} AS h FROM ${t} GROUP BY ALL HAVING count(*) > 1`;
  const { groups } = await engine.one(`SELECT count(*) AS groups FROM (${shared})`);
  if (Number(groups) === 0) return 0;
  const r = await engine.one(
    `WITH c AS (SELECT * FROM ${t} WHERE ${row} IN (${shared}))
     SELECT (SELECT count(*) FROM c) - (SELECT count(*) FROM (SELECT DISTINCT * FROM c)) AS n`,
  );
  return Number(r.n);
}

export async function labelCheck(
  engine: Engine,
  data: LoadedTable,
  contract: Contract,
): Promise<DataCheck | undefined> {
  const label = contract.label;
  if (!label || !data.columns.has(label.column)) return undefined;
  const col = ident(label.column);
  const classes = await engine.rows(
    `SELECT ${col}::VARCHAR AS class, count(*) AS n FROM ${ident(data.table)} WHERE ${col} IS NOT NULL GROUP BY ALL ORDER BY n, class`,
  );
  const total = classes.reduce((s, c) => s + Number(c.n), 0);
  const fractions = Object.fromEntries(
    classes.map((c) => [String(c.class), total ? Number(c.n) / total : 0]),
  );
  const smallest = classes[0];
  const min = label.minClassFraction ?? 0;
  const f = smallest && total ? Number(smallest.n) / total : 0;
  const ok = classes.length >= 2 && f >= min;
  const message =
    classes.length < 2
      ? `label '${label.column}' has ${plural(classes.length, 'class')}; a classifier needs at least 2`
      : `smallest class of '${label.column}' is ${JSON.stringify(smallest?.class)} at ${formatValue(f)} (at least ${min})`;
  return check(`dataset.label.${label.column}`, 'dataset', ok, label.severity, message, {
    observed: fractions,
    expected: `every class >= ${min}`,
    where: label.where,
  });
}

export async function leakageChecks(
  engine: Engine,
  data: LoadedTable,
  contract: Contract,
): Promise<DataCheck[]> {
  const out: DataCheck[] = [];
  for (const [i, rule] of contract.leakage.entries())
    out.push(await leakageCheck(engine, data, contract, rule, i));
  return out;
}

async function leakageCheck(
  engine: Engine,
  data: LoadedTable,
  contract: Contract,
  rule: LeakageRule,
  i: number,
): Promise<DataCheck> {
  const source = await resolveSource(rule.against, `leakage dataset (${contract.file})`);
  const declared = new Map(contract.columns.map((c) => [c.name, DUCKDB_TYPE[c.type]]));
  const other = await loadTable(engine, source, `leakage_${i}`, declared);
  const shared = (rule.columns ?? [...data.columns.keys()]).filter(
    (c) => data.columns.has(c) && other.columns.has(c),
  );
  const id = `dataset.leakage.${basename(rule.against).replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  if (shared.length === 0) {
    return check(
      id,
      'dataset',
      false,
      rule.severity,
      `'${rule.against}' shares no columns with the data, so leakage cannot be tested`,
      {
        observed: [...other.columns.keys()],
        expected: rule.columns ?? 'columns in common',
        where: rule.where,
      },
    );
  }
  const cols = shared.map(ident).join(', ');
  const r = await engine.one(
    `SELECT count(*) AS n FROM (SELECT ${cols} FROM ${ident(data.table)} INTERSECT SELECT ${cols} FROM ${ident(other.table)})`,
  );
  const n = Number(r.n);
  await engine.run(`DROP TABLE ${ident(other.table)}`);
  return check(
    id,
    'dataset',
    n <= rule.maxSharedRows,
    rule.severity,
    `${plural(n, 'distinct row')} also in '${rule.against}' (at most ${rule.maxSharedRows})`,
    {
      observed: n,
      expected: `<= ${rule.maxSharedRows}`,
      where: rule.where,
    },
  );
}
