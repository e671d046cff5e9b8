/**
 * Custom checks: a query over `data` (and `reference`, when given) that counts violating
 * rows. They run after every file is loaded, with external access switched off, so a
 * contract's SQL can read the tables and nothing else on the machine.
 */
import { ConfigurationError } from '../../errors.ts';
import type { Contract } from '../contract/model.ts';
import type { Engine } from '../engine.ts';
import { check, type DataCheck, plural } from './result.ts';

export async function sqlChecks(engine: Engine, contract: Contract): Promise<DataCheck[]> {
  const out: DataCheck[] = [];
  for (const c of contract.checks) {
    let rows: Record<string, unknown>[];
    try {
      rows = await engine.rows(c.query);
    } catch (e) {
      if (e instanceof ConfigurationError) throw e; // out of memory, explained by the engine
      throw new ConfigurationError(`check '${c.id}' failed to run: ${(e as Error).message.split('\n')[0]}`, {
        where: c.where,
        fix: 'The query runs in DuckDB over the tables data (and reference); it must return one number.',
      });
    }
    const value = rows[0] ? Object.values(rows[0])[0] : undefined;
    const n = typeof value === 'number' ? value : Number(value);
    if (rows.length !== 1 || Object.keys(rows[0] ?? {}).length !== 1 || !Number.isFinite(n)) {
      throw new ConfigurationError(`check '${c.id}' must return one number (a count of violating rows)`, {
        where: c.where,
        fix: 'Write it as SELECT count(*) FROM data WHERE <violation>.',
      });
    }
    const what = c.description ?? c.id;
    out.push(
      check(
        `sql.${c.id}`,
        'sql',
        n <= c.max,
        c.severity,
        `${what}: ${plural(n, 'violating row')} (at most ${c.max})`,
        {
          observed: n,
          expected: `<= ${c.max}`,
          where: c.where,
        },
      ),
    );
  }
  return out;
}
