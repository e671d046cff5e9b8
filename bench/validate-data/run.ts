/**
 * bench/validate-data: modelship validate-data end to end (the bundled CLI, cold process) on
 * 1M × 20 with a drifted 1M reference, against pandas + scipy doing the same checks and tests,
 * and against the floor of DuckDB scanning the file once. All in one run, as ratios. Then a wide
 * file (10,000 columns × 200 rows) against the same floor over that file. The 1M runs are
 * interleaved over `rounds` rounds: each figure is the median run, with the range beside it.
 *
 * Run alone: node bench/validate-data/run.ts [rounds=3] (prints the figures; RESULTS.md is left alone).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../../test/support/run.ts';
import { type Measured, measure, range } from '../measure.ts';
import { generate } from './generate.ts';
import { generateWide, WIDE_COLUMNS, WIDE_ROWS } from './wide.ts';

export async function benchValidateData(root: string, work: string, rounds = 3) {
  const { data, reference, contract } = await generate(join(work, 'validate-data'));
  const node = process.execPath;
  const runs = {
    ours: [] as Measured[],
    peer: [] as Measured[],
    floor: [] as Measured[],
    floorBoth: [] as Measured[],
  };
  for (let r = 0; r < rounds; r++) {
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
    const floorBoth = measure(
      node,
      [join(root, 'bench', 'validate-data', 'floor.ts'), data, reference],
      root,
    );
    runs.ours.push(ours);
    runs.peer.push(peer);
    runs.floor.push(floor);
    runs.floorBoth.push(floorBoth);
  }
  const [ours, peer, floor, floorBoth] = [runs.ours, runs.peer, runs.floor, runs.floorBoth].map(
    medianRun,
  ) as [Measured, Measured, Measured, Measured];
  const out = JSON.parse(ours.stdout);
  const wide = await benchWide(root, work);
  return {
    rounds,
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
    ranges: {
      ours: range(runs.ours.map((r) => r.seconds)),
      peer: range(runs.peer.map((r) => r.seconds)),
      floor: range(runs.floor.map((r) => r.seconds)),
      floorBoth: range(runs.floorBoth.map((r) => r.seconds)),
      vsPeer: range(runs.ours.map((o, i) => runs.peer[i]!.seconds / o.seconds)),
      vsFloor: range(runs.ours.map((o, i) => o.seconds / runs.floor[i]!.seconds)),
      vsFloorBoth: range(runs.ours.map((o, i) => o.seconds / runs.floorBoth[i]!.seconds)),
    },
    peakMiB: Math.max(...runs.ours.map((o) => o.peakMiB)),
  };
}

/** The run of median wall time (the lower middle one of an even count). */
function medianRun(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)]!;
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

if (import.meta.main) {
  const root = join(import.meta.dirname, '..', '..');
  const vd = await benchValidateData(root, join(root, 'bench', '.work'), Number(process.argv[2] ?? 3));
  console.log(JSON.stringify(vd, (k, v) => (k === 'stdout' || k === 'stderr' ? undefined : v), 1));
}
