/** The human summary: the verdict, failures first, then drift, then the profile. */
import type { DataCheck } from '../../data/checks/result.ts';
import { plural } from '../../data/checks/result.ts';
import type { DriftResult } from '../../data/drift.ts';
import type { LoadedTable } from '../../data/load.ts';
import type { ColumnProfile } from '../../data/profile.ts';
import { displayName, type Source } from '../../data/sources.ts';
import { formatLocation } from '../../errors.ts';
import { type Block, formatNumber, formatValue, type Summary } from '../../report/summary.ts';

interface Facts {
  source: Source;
  data: LoadedTable;
  reference: LoadedTable | undefined;
  checks: DataCheck[];
  drift: DriftResult[];
  profile: ColumnProfile[];
  passed: boolean;
  failOn: string;
}

/** The rule's place in the contract, `file:line:column`, without the key path the check id repeats. */
const where = (c: DataCheck) => (c.where?.line ? formatLocation({ ...c.where, path: undefined }) : '');

export function buildSummary(f: Facts): Summary {
  const failed = f.checks.filter((c) => c.status === 'fail');
  const warned = f.checks.filter((c) => c.status === 'warn');
  const name = displayName(f.source);
  const headline =
    failed.length + warned.length === 0
      ? `All ${f.checks.length} checks passed on ${plural(f.data.rows, 'row')} of ${name}`
      : `${failed.length} failed, ${warned.length} warned, of ${f.checks.length} checks on ${plural(f.data.rows, 'row')} of ${name}` +
        (f.failOn === 'never' ? ' (fail-on: never)' : '');
  const blocks: Block[] = [];
  const problems = [...failed, ...warned];
  if (problems.length) {
    blocks.push({ kind: 'heading', text: 'Failed checks' });
    blocks.push({
      kind: 'table',
      columns: ['', 'check', 'what', 'expected', 'rule'],
      rows: problems.map((c) => [
        c.status === 'fail' ? '❌' : '⚠️',
        c.id,
        c.message,
        formatValue(c.expected),
        where(c),
      ]),
    });
  }
  if (f.drift.length) {
    blocks.push({
      kind: 'heading',
      text: `Drift against ${f.reference ? displayName(f.reference.source) : 'the reference'}`,
    });
    blocks.push({
      kind: 'table',
      columns: ['column', 'test', 'statistic', 'p-value', 'threshold', 'drift'],
      numeric: [false, false, true, true, true, false],
      rows: f.drift.map((d) => [
        d.column,
        d.test,
        formatNumber(d.statistic),
        d.p_value === null ? '—' : formatNumber(d.p_value),
        formatNumber(d.threshold),
        d.drifted ? (d.severity === 'error' ? '❌ yes' : '⚠️ yes') : 'no',
      ]),
    });
  }
  if (f.profile.length) {
    blocks.push({
      kind: 'details',
      title: `Profile of ${f.profile.length} columns`,
      blocks: [
        {
          kind: 'table',
          columns: ['column', 'type', 'count', 'nulls', 'distinct', 'min', 'max', 'mean', 'std', 'p50'],
          numeric: [false, false, true, true, true, true, true, true, true, true],
          rows: f.profile.map((p) => [
            p.column,
            p.type,
            String(p.count),
            String(p.nulls),
            String(p.distinct),
            formatValue(p.min),
            formatValue(p.max),
            formatValue(p.mean),
            formatValue(p.std),
            formatValue(p.quantiles?.p50),
          ]),
        },
      ],
    });
  }
  const passedChecks = f.checks.filter((c) => c.status === 'pass');
  if (passedChecks.length) {
    blocks.push({
      kind: 'details',
      title: `${passedChecks.length} passed checks`,
      blocks: [
        { kind: 'table', columns: ['check', 'result'], rows: passedChecks.map((c) => [c.id, c.message]) },
      ],
    });
  }
  return { title: 'modelship validate-data', passed: f.passed, headline, blocks };
}
