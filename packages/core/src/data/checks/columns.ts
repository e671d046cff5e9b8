/**
 * Per-column rules, evaluated in one aggregate pass over the table: each rule contributes
 * conditional counts, so twenty columns with five rules each still read the data once (and
 * once more for examples of the rules that failed).
 */
import { ConfigurationError } from '../../errors.ts';
import { formatValue } from '../../report/summary.ts';
import type { TypeFailures } from '../conform.ts';
import type { ColumnContract, Rule } from '../contract/model.ts';
import { isNumeric } from '../contract/model.ts';
import { type Engine, ident, literal, type Row } from '../engine.ts';
import type { LoadedTable, ParseProblem } from '../load.ts';
import { check, type DataCheck, plural } from './result.ts';

interface Verdict {
  ok: boolean;
  message: string;
  observed: unknown;
  expected: unknown;
}

interface Pending {
  alias: string;
  sql: string;
  /** Asked for only when the count under this alias is not zero (examples of violations). */
  whenNonZero?: string;
}

function boundLiteral(c: ColumnContract, v: number | string) {
  return c.type === 'timestamp' ? `CAST(${literal(String(v))} AS TIMESTAMP)` : String(v);
}

function valueList(c: ColumnContract, values: (string | number | boolean)[]) {
  if (isNumeric(c.type)) return values.map(Number).join(', ');
  if (c.type === 'boolean')
    return values.map((v) => (String(v).toLowerCase() === 'true' ? 'true' : 'false')).join(', ');
  return values.map((v) => literal(String(v))).join(', ');
}

/** Reject a pattern RE2 cannot compile before it poisons the shared aggregate query. */
async function assertRegex(engine: Engine, rule: Rule<string>) {
  try {
    await engine.run(`SELECT regexp_full_match('', ${literal(rule.value)})`);
  } catch (e) {
    throw new ConfigurationError(
      `regex ${JSON.stringify(rule.value)} does not compile: ${(e as Error).message.split('\n')[0]}`,
      {
        where: rule.where,
        fix: 'Use RE2 syntax (no look-around or back-references).',
      },
    );
  }
}

export async function columnChecks(
  engine: Engine,
  data: LoadedTable,
  columns: ColumnContract[],
  typeFailures: Map<string, TypeFailures>,
): Promise<DataCheck[]> {
  const results: DataCheck[] = [];
  const pending: Pending[] = [];
  const evaluate: ((row: Row) => void)[] = [];
  const add = (sql: string, whenNonZero?: string) => {
    const alias = `a${pending.length}`;
    pending.push({ alias, sql, ...(whenNonZero && { whenNonZero }) });
    return alias;
  };
  const castProblems = new Map<string, ParseProblem[]>();
  for (const p of data.problems) {
    if (p.kind === 'CAST' && p.column) castProblems.set(p.column, [...(castProblems.get(p.column) ?? []), p]);
  }

  for (const c of columns) {
    const group = `column.${c.name}`;
    const id = (rule: string) => `${group}.${rule}`;
    const present = data.columns.has(c.name);
    if (!present) {
      if (c.required.value) {
        results.push(
          check(
            id('present'),
            group,
            false,
            c.required.severity,
            `column '${c.name}' is missing from the data`,
            {
              observed: 'missing',
              expected: 'present',
              where: c.required.where,
            },
          ),
        );
      }
      continue;
    }
    if (c.required.value) {
      results.push(check(id('present'), group, true, c.required.severity, `column '${c.name}' is present`));
    }
    results.push(typeCheck(c, castProblems.get(c.name), typeFailures.get(c.name)));

    const col = ident(c.name);
    /** Queue one rule: its verdict is read from the shared aggregate row once it has run. */
    const judge = (rule: string, r: Rule<unknown>, verdict: (row: Row) => Verdict) =>
      evaluate.push((row) => {
        const v = verdict(row);
        results.push(
          check(id(rule), group, v.ok, r.severity, v.message, {
            observed: v.observed,
            expected: v.expected,
            where: r.where,
          }),
        );
      });
    /** A rule that holds when the aggregate under `alias` is zero. */
    const none = (rule: string, r: Rule<unknown>, alias: string, say: (n: number) => string) =>
      judge(rule, r, (row) => {
        const n = Number(row[alias]);
        return { ok: n === 0, message: say(n), observed: n, expected: 0 };
      });
    const nulls = add(`count(*) - count(${col})`);
    if (c.nullable && !c.nullable.value) {
      none(
        'nullable',
        c.nullable,
        nulls,
        (n) => `${plural(n, 'null')} in '${c.name}', which is not nullable`,
      );
    }
    if (c.maxNullFraction) {
      const max = c.maxNullFraction.value;
      judge('max_null_fraction', c.maxNullFraction, (row) => {
        const f = data.rows ? Number(row[nulls]) / data.rows : 0;
        return {
          ok: f <= max,
          message: `null fraction of '${c.name}' is ${formatValue(f)} (at most ${max})`,
          observed: f,
          expected: `<= ${max}`,
        };
      });
    }
    for (const [rule, op, word] of [
      ['min', '<', 'below'],
      ['max', '>', 'above'],
    ] as const) {
      const r = c[rule];
      if (!r) continue;
      const bad = add(`count_if(${col} ${op} ${boundLiteral(c, r.value)})`);
      const seen = add(`${rule}(${col})::VARCHAR`);
      judge(rule, r, (row) => {
        const n = Number(row[bad]);
        return {
          ok: n === 0,
          message: `${plural(n, 'value')} of '${c.name}' ${word} ${r.value} (${rule} is ${row[seen] ?? 'null'})`,
          observed: row[seen] ?? null,
          expected: `${rule === 'min' ? '>=' : '<='} ${r.value}`,
        };
      });
    }
    const violations = (rule: 'allowed' | 'regex', r: Rule<unknown>, cond: string, what: string) => {
      const bad = add(`count_if(${cond})`);
      const examples = add(`list(DISTINCT ${col}::VARCHAR) FILTER (WHERE ${cond})[1:5]`, bad);
      judge(rule, r, (row) => {
        const n = Number(row[bad]);
        const ex = (row[examples] as string[] | null) ?? [];
        const eg = ex.length ? `, e.g. ${ex.map((e) => JSON.stringify(e)).join(', ')}` : '';
        return {
          ok: n === 0,
          message: `${plural(n, 'value')} of '${c.name}' ${what}${eg}`,
          observed: ex,
          expected: r.value,
        };
      });
    };
    if (c.allowed) {
      violations(
        'allowed',
        c.allowed,
        `${col} IS NOT NULL AND ${col} NOT IN (${valueList(c, c.allowed.value)})`,
        'outside the allowed set',
      );
    }
    if (c.regex) {
      await assertRegex(engine, c.regex);
      const cond = `${col} IS NOT NULL AND NOT regexp_full_match(${col}::VARCHAR, ${literal(c.regex.value)})`;
      violations('regex', c.regex, cond, `not matching /${c.regex.value}/`);
    }
    if (c.unique?.value) {
      const dup = add(`count(${col}) - count(DISTINCT ${col})`);
      none(
        'unique',
        c.unique,
        dup,
        (n) => `${plural(n, 'repeated value')} in '${c.name}', which must be unique`,
      );
    }
  }
  if (pending.length) {
    const row = await aggregate(
      engine,
      data.table,
      pending.filter((p) => !p.whenNonZero),
    );
    // The examples of a violation cost a DISTINCT per rule, which nearly doubled the pass; most
    // rules hold, so they are gathered afterwards, for the rules that failed alone.
    const examples = pending.filter((p) => p.whenNonZero && Number(row[p.whenNonZero]) > 0);
    Object.assign(row, await aggregate(engine, data.table, examples));
    for (const e of evaluate) e(row);
  }
  return results;
}

/**
 * One pass over the table for every aggregate. count_if rather than count(*) FILTER: DuckDB
 * answers it from the column's statistics when no value can match, as in a passing bound.
 */
async function aggregate(engine: Engine, table: string, parts: Pending[]): Promise<Row> {
  if (parts.length === 0) return {};
  return engine.one(`SELECT ${parts.map((p) => `${p.sql} AS ${p.alias}`).join(', ')} FROM ${ident(table)}`);
}

function typeCheck(
  c: ColumnContract,
  casts: ParseProblem[] | undefined,
  failures: TypeFailures | undefined,
): DataCheck {
  const group = `column.${c.name}`;
  const where = c.where;
  if (casts?.length) {
    const first = casts
      .slice(0, 3)
      .map((p) => `${p.file}:${p.line}`)
      .join(', ');
    return check(
      `${group}.type`,
      group,
      false,
      'error',
      `${plural(casts.length, 'value')} of '${c.name}' ${casts.length === 1 ? 'is' : 'are'} not ${c.type} (rows set aside; see ${first})`,
      {
        observed: casts.slice(0, 3).map((p) => ({ file: p.file, line: p.line, text: p.text })),
        expected: c.type,
        where,
      },
    );
  }
  if (failures) {
    return check(
      `${group}.type`,
      group,
      false,
      'error',
      `${plural(failures.count, 'value')} of '${c.name}' ${failures.count === 1 ? 'is' : 'are'} not ${c.type}, e.g. ${failures.examples.map((e) => JSON.stringify(e)).join(', ')}`,
      {
        observed: failures.examples,
        expected: c.type,
        where,
      },
    );
  }
  return check(`${group}.type`, group, true, 'error', `'${c.name}' is ${c.type}`);
}
