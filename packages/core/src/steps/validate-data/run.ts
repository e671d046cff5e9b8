/**
 * validate-data: load the data (and the reference) into DuckDB once, run every contract rule,
 * profile every column, test drift, and write the report. Bad data is a verdict (failed
 * checks); only a bad contract or input is a configuration error.
 */

import { columnChecks } from '../../data/checks/columns.ts';
import {
  duplicateChecks,
  extraColumnsCheck,
  labelCheck,
  leakageChecks,
  readableCheck,
  rowsCheck,
} from '../../data/checks/dataset.ts';
import type { DataCheck } from '../../data/checks/result.ts';
import { check } from '../../data/checks/result.ts';
import { sqlChecks } from '../../data/checks/sql.ts';
import { conformTypes } from '../../data/conform.ts';
import { loadContract } from '../../data/contract/load.ts';
import { type Contract, DUCKDB_TYPE, isNumeric } from '../../data/contract/model.ts';
import { categoricalDrift, type DriftResult, numericDrift } from '../../data/drift.ts';
import { Engine } from '../../data/engine.ts';
import { type LoadedTable, loadTable } from '../../data/load.ts';
import {
  type ColumnProfile,
  categoryCounts,
  isNumericType,
  numericProfile,
  otherProfiles,
} from '../../data/profile.ts';
import { SortedColumns } from '../../data/sorted-columns.ts';
import { digestSource, displayName, resolveSource, type Source } from '../../data/sources.ts';
import type { Location } from '../../errors.ts';
import { writeJson } from '../../files/atomic.ts';
import type { Platform } from '../../platform/port.ts';
import type { StepOutcome } from '../types.ts';
import type { ValidateDataInputs } from './spec.ts';
import { buildSummary } from './summary.ts';

export async function run(
  inputs: ValidateDataInputs,
  platform: Platform,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  const contract = await loadContract(inputs.contract);
  const source = await resolveSource(inputs.data, 'data');
  const refSource = inputs.reference ? await resolveSource(inputs.reference, 'reference') : undefined;
  const digest = digestSource(source);
  const declared = new Map(contract.columns.map((c) => [c.name, DUCKDB_TYPE[c.type]]));

  const engine = await Engine.open(platform, { signal });
  try {
    const [data, reference] = await platform.group(`Reading ${displayName(source)}`, async () => {
      const d = await loadTable(engine, source, 'data', declared);
      const r = refSource ? await loadTable(engine, refSource, 'reference', declared) : undefined;
      platform.info(
        `data: ${d.rows.toLocaleString('en-US')} rows, ${d.columns.size} columns (${source.format}, ${source.files.length} file(s))`,
      );
      if (r) platform.info(`reference: ${r.rows.toLocaleString('en-US')} rows, ${r.columns.size} columns`);
      return [d, r] as const;
    });
    const checks = await platform.group('Checking the contract', () =>
      contractChecks(engine, contract, data, reference),
    );
    const { profile, drift } = await platform.group('Profiling and drift', () =>
      profileAndDrift(engine, contract, data, reference, platform),
    );
    const driftRules = new Map(contract.columns.map((c) => [c.name, c.drift?.where]));
    const allChecks = [...checks, ...drift.map((d) => driftCheck(d, driftRules.get(d.column)))];
    const failOn = inputs['fail-on'];
    const failing = allChecks.filter(
      (c) => c.status === 'fail' || (c.status === 'warn' && failOn === 'warning'),
    );
    const passed = failOn === 'never' ? true : failing.length === 0;
    const dataDigest = await digest;
    const report = {
      step: 'validate-data',
      passed,
      fail_on: failOn,
      created: new Date().toISOString(),
      run_url: platform.runUrl() ?? null,
      contract: contract.file,
      data: describeSource(source, data, dataDigest),
      reference: refSource && reference ? describeSource(refSource, reference) : null,
      summary: {
        checks: allChecks.length,
        failed: allChecks.filter((c) => c.status === 'fail').length,
        warned: allChecks.filter((c) => c.status === 'warn').length,
        drifted: drift.filter((d) => d.drifted).length,
      },
      checks: allChecks.map(({ where, ...c }) => ({ ...c, ...(where && { location: where }) })),
      drift,
      profile,
    };
    await writeJson(inputs.report, report, { input: platform.describeInput('report') });
    const notOk = allChecks.filter((c) => c.status !== 'pass');
    return {
      passed,
      outputs: {
        passed,
        // As the user gave it, as every step does: a relative path stays valid in a later job.
        report: inputs.report,
        rows: data.rows,
        'data-digest': dataDigest,
        'failed-checks': notOk.map((c) => c.id).join(','),
        'drifted-columns': drift
          .filter((d) => d.drifted)
          .map((d) => d.column)
          .join(','),
      },
      summary: buildSummary({ source, data, reference, checks: allChecks, drift, profile, passed, failOn }),
      checks: allChecks,
    };
  } finally {
    engine.close();
  }
}

function describeSource(source: Source, table: LoadedTable, digest?: string) {
  return {
    spec: source.spec,
    files: source.files.length,
    format: source.format,
    rows: table.rows,
    columns: [...table.columns.keys()],
    rejected_rows: table.rejectedRows,
    ...(digest && { digest }),
  };
}

async function contractChecks(
  engine: Engine,
  contract: Contract,
  data: LoadedTable,
  reference: LoadedTable | undefined,
): Promise<DataCheck[]> {
  const checks: DataCheck[] = [readableCheck(data, displayName(data.source))];
  if (reference && (reference.empty || reference.problems.length)) {
    const r = readableCheck(reference, displayName(reference.source));
    checks.push({ ...r, id: 'reference.readable', group: 'reference' });
  }
  checks.push(rowsCheck(data, contract));
  // Nothing was read (an empty or unreadable file): the checks above already say so.
  if (data.columns.size === 0 || data.columns.has('__empty')) return checks;
  const typeFailures = await conformTypes(engine, data, contract.columns);
  if (reference && !reference.empty) await conformTypes(engine, reference, contract.columns);
  checks.push(...(await columnChecks(engine, data, contract.columns, typeFailures)));
  const extra = extraColumnsCheck(data, contract);
  if (extra) checks.push(extra);
  checks.push(...(await duplicateChecks(engine, data, contract)));
  const label = await labelCheck(engine, data, contract);
  if (label) checks.push(label);
  checks.push(...(await leakageChecks(engine, data, contract)));
  // Every file the contract names is loaded by now; its SQL may read tables, not the disk.
  await engine.run('SET enable_external_access = false');
  checks.push(...(await sqlChecks(engine, contract)));
  return checks;
}

async function profileAndDrift(
  engine: Engine,
  contract: Contract,
  data: LoadedTable,
  reference: LoadedTable | undefined,
  platform: Platform,
): Promise<{ profile: ColumnProfile[]; drift: DriftResult[] }> {
  const profile: ColumnProfile[] = [];
  const drift: DriftResult[] = [];
  const rules = new Map(contract.columns.filter((c) => c.drift).map((c) => [c.name, c]));
  const columns = [...data.columns.entries()].filter(([c]) => c !== '__empty');
  const others: [string, string][] = [];
  const started = Date.now();
  const second = await engine.fork();
  const numeric = columns.filter(([, type]) => isNumericType(type)).map(([c]) => c);
  const dataValues = new SortedColumns(engine, 'data', data.rows, numeric);
  const refValues = new SortedColumns(
    second,
    'reference',
    reference?.rows ?? 0,
    numeric.filter((c) => rules.get(c)?.drift && reference?.columns.has(c)),
  );
  try {
    for (const [i, [name, type]] of columns.entries()) {
      const rule = rules.get(name);
      const inReference = reference?.columns.has(name) ?? false;
      if (isNumericType(type)) {
        // Data and reference are sorted on two connections at once: while one streams its
        // chunks into JS, DuckDB sorts the other.
        const wantsDrift = rule?.drift && inReference && isNumeric(rule.type);
        const [values, ref] = await Promise.all([
          dataValues.get(name),
          wantsDrift ? refValues.get(name) : undefined,
        ]);
        profile.push(numericProfile(name, type, data.rows, values));
        if (rule?.drift && ref?.length && values.length) {
          drift.push(numericDrift(name, rule.drift, ref, values, contract.driftThresholds));
        }
      } else {
        others.push([name, type]);
        if (rule?.drift && inReference && !isNumeric(rule.type)) {
          const [ref, cur] = await Promise.all([
            categoryCounts(engine, 'reference', name),
            categoryCounts(engine, 'data', name),
          ]);
          if (ref.size && cur.size)
            drift.push(categoricalDrift(name, rule.drift, ref, cur, contract.driftThresholds));
        }
      }
      const done = i + 1;
      const elapsed = (Date.now() - started) / 1000;
      platform.progress(
        `profiled ${done}/${columns.length} columns (${Math.round((100 * done) / columns.length)}%, ${(done / Math.max(elapsed, 1e-3)).toFixed(1)} col/s, ETA ${((columns.length - done) * (elapsed / done)).toFixed(0)} s)`,
      );
    }
  } finally {
    second.close();
  }
  profile.push(...(await otherProfiles(engine, 'data', others, data.rows)));
  const order = new Map(columns.map(([c], i) => [c, i]));
  profile.sort((a, b) => (order.get(a.column) ?? 0) - (order.get(b.column) ?? 0));
  if (reference && rules.size && drift.length === 0 && data.rows > 0) {
    platform.notice(
      'no drift test ran: no column with a drift rule has values in both the data and the reference',
    );
  }
  return { profile, drift };
}

function driftCheck(d: DriftResult, where: Location | undefined): DataCheck {
  const measure =
    d.p_value === null
      ? `${d.test} ${fmt(d.statistic)} (threshold ${fmt(d.threshold)})`
      : `${d.test} p=${fmt(d.p_value)} (threshold ${fmt(d.threshold)})`;
  return check(
    `drift.${d.column}`,
    'drift',
    !d.drifted,
    d.severity,
    `${d.drifted ? 'drift' : 'no drift'} in '${d.column}': ${measure}`,
    {
      observed: d.p_value ?? d.statistic,
      expected: d.p_value === null ? `<= ${d.threshold}` : `>= ${d.threshold}`,
      ...(where && { where }),
    },
  );
}

const fmt = (x: number) =>
  Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
