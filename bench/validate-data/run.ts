/**
 * bench/validate-data: modelship validate-data end to end (the bundled CLI, cold process) on
 * 1M × 20 with a drifted 1M reference, against pandas + scipy doing the same checks and tests,
 * and against the floor of DuckDB scanning the file once. All in one run, as ratios. Then a wide
 * file (10,000 columns × 200 rows) against the same floor over that file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../../test/support/run.ts';
import { measure } from '../measure.ts';
import { generate } from './generate.ts';
import { generateWide, WIDE_COLUMNS, WIDE_ROWS } from './wide.ts';

export async function benchValidateData(root: string, work: string) {
  const { data, reference, contract } = await generate(join(work, 'validate-data'));
  const node = process.execPath;
  const ours = measure(
    node,
    [
      CLI,
      'validate-data',
      '--data',
      data,
      '--reference',
      reference,
      '--contract',
      contract,
      '--report',
      join(work, 'vd-report.json'),
      '--fail-on',
      'never',
    ],
    root,
  );
  if (ours.code !== 0) throw new Error(`validate-data exited ${ours.code}`);
  const peer = measure(
    '/usr/bin/python3',
    [join(root, 'bench', 'validate-data', 'peer.py'), data, reference],
    root,
  );
  if (peer.code !== 0) throw new Error(`pandas peer exited ${peer.code}`);
  const floor = measure(node, [join(root, 'bench', 'validate-data', 'floor.ts'), data], root);
  const floorBoth = measure(node, [join(root, 'bench', 'validate-data', 'floor.ts'), data, reference], root);
  const out = JSON.parse(ours.stdout);
  const wide = await benchWide(root, work);
  return {
    wide,
    rows: out.rows,
    drifted: out['drifted-columns'],
    peerFailed: peer.stdout.trim(),
    ours,
    peer,
    floor,
    floorBoth,
    vsPeer: peer.seconds / ours.seconds,
    vsFloor: ours.seconds / floor.seconds,
    vsFloorBoth: ours.seconds / floorBoth.seconds,
  };
}

/** The wide file: every column profiled, against DuckDB's count(*) over the same file. */
async function benchWide(root: string, work: string) {
  const { data, contract } = await generateWide(join(work, 'validate-data'));
  const node = process.execPath;
  const report = join(work, 'vd-wide-report.json');
  const ours = measure(
    node,
    [CLI, 'validate-data', '--data', data, '--contract', contract, '--report', report, '--fail-on', 'never'],
    root,
  );
  if (ours.code !== 0) throw new Error(`validate-data on the wide file exited ${ours.code}`);
  const profiled = JSON.parse(readFileSync(report, 'utf8')).profile.length;
  if (profiled !== WIDE_COLUMNS) throw new Error(`the wide report profiled ${profiled} columns`);
  const floor = measure(node, [join(root, 'bench', 'validate-data', 'floor.ts'), data], root);
  return { columns: WIDE_COLUMNS, rows: WIDE_ROWS, ours, floor, vsFloor: ours.seconds / floor.seconds };
}

type Result = Awaited<ReturnType<typeof benchValidateData>>;

/** The wide file's rows of the validate-data table in RESULTS.md. */
export function wideRows(vd: Result, s: (x: number) => string, mib: (x: number) => string): string {
  const w = vd.wide;
  return [
    `| modelship validate-data, ${w.columns.toLocaleString('en-US')} columns × ${w.rows} rows (every column profiled) | ${s(w.ours.seconds)} | ${mib(w.ours.peakMiB)} |`,
    `| floor: DuckDB \`count(*)\` over the wide file, cold process | ${s(w.floor.seconds)} | ${mib(w.floor.peakMiB)} |`,
  ].join('\n');
}
