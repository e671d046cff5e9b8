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
import { conformTypes, type TypeFailures } from '../../data/conform.ts';
import { loadContract } from '../../data/contract/load.ts';
import { type Contract, DUCKDB_TYPE } from '../../data/contract/model.ts';
import type { DriftResult } from '../../data/drift.ts';
import { Engine } from '../../data/engine.ts';
import { type LoadedTable, loadTable } from '../../data/load.ts';
import { digestSource, displayName, resolveSource, type Source } from '../../data/sources.ts';
import type { Location } from '../../errors.ts';
import { writeJson } from '../../files/atomic.ts';
import type { Platform } from '../../platform/port.ts';
import type { StepOutcome } from '../types.ts';
import { profileAndDrift, settleBoth } from './profile-drift.ts';
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
  // One connection per stream that runs at once: the data's load and later its numeric columns,
  // the reference's likewise, while the checks and the other columns share the first.
  const forks: Engine[] = [];
  try {
    const fork = async () => {
      const f = await engine.fork();
      forks.push(f);
      return f;
    };
    const [dataConn, refConn] = [await fork(), await fork()];
    const [data, reference] = await platform.group(`Reading ${displayName(source)}`, async () => {
      // Both files parse at once: each load has phases that leave a core idle.
      const [d, r] = await settleBoth(
        loadTable(engine, source, 'data', declared),
        refSource ? loadTable(refConn, refSource, 'reference', declared) : Promise.resolve(undefined),
      );
      platform.info(
        `data: ${d.rows.toLocaleString('en-US')} rows, ${d.columns.size} columns (${source.format}, ${source.files.length} file(s))`,
      );
      if (r) platform.info(`reference: ${r.rows.toLocaleString('en-US')} rows, ${r.columns.size} columns`);
      return [d, r] as const;
    });
    const [checks, { profile, drift }] = await platform.group(
      'Checking the contract, profiling and drift',
      async () => {
        const typeFailures = await conform(engine, contract, data, reference);
        return settleBoth(
          contractChecks(engine, contract, data, reference, typeFailures),
          profileAndDrift(
            { data: dataConn, reference: refConn, shared: engine },
            contract,
            data,
            reference,
            platform,
          ),
        );
      },
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
    for (const f of forks) f.close();
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

/**
 * Casts the columns whose file type differs from the contract's; what does not convert is
 * counted. Before anything reads the tables, since a cast replaces them.
 */
async function conform(
  engine: Engine,
  contract: Contract,
  data: LoadedTable,
  reference: LoadedTable | undefined,
): Promise<Map<string, TypeFailures>> {
  if (!hasRows(data)) return new Map();
  const typeFailures = await conformTypes(engine, data, contract.columns);
  if (reference && !reference.empty) await conformTypes(engine, reference, contract.columns);
  return typeFailures;
}

/** Something was read (not an empty or unreadable file, which the readable check reports). */
const hasRows = (data: LoadedTable) => data.columns.size > 0 && !data.columns.has('__empty');

async function contractChecks(
  engine: Engine,
  contract: Contract,
  data: LoadedTable,
  reference: LoadedTable | undefined,
  typeFailures: Map<string, TypeFailures>,
): Promise<DataCheck[]> {
  const checks: DataCheck[] = [readableCheck(data, displayName(data.source))];
  if (reference && (reference.empty || reference.problems.length)) {
    const r = readableCheck(reference, displayName(reference.source));
    checks.push({ ...r, id: 'reference.readable', group: 'reference' });
  }
  checks.push(rowsCheck(data, contract));
  if (!hasRows(data)) return checks;
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
