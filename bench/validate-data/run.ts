/**
 * bench/validate-data: modelship validate-data end to end (the bundled CLI, cold process) on
 * 1M × 20 with a drifted 1M reference, against pandas + scipy doing the same checks and tests,
 * and against the floor of DuckDB scanning the file once. All in one run, as ratios.
 */
import { join } from 'node:path';
import { CLI } from '../../test/support/run.ts';
import { measure } from '../measure.ts';
import { generate } from './generate.ts';

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
  return {
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
