/** `npm run bench`: every benchmark, then bench/RESULTS.md rewritten with the figures of this run. */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { globalSetup, globalTeardown } from '../test/support/kube-node-global.ts';
import { benchBuildImage, buildImageMarkdown } from './build-image/run.ts';
import { benchDeployRollout, deployRolloutMarkdown } from './deploy-rollout/run.ts';
import { benchEvaluateModel, evaluateModelMarkdown } from './evaluate-model/run.ts';
import { leastWall } from './measure.ts';
import { benchMonitorGate, monitorGateMarkdown } from './monitor-gate/run.ts';
import { benchRollback, rollbackMarkdown } from './rollback/run.ts';
import { benchServe, serveMarkdown } from './serve/run.ts';
import { benchStartup } from './startup/run.ts';
import { benchTrainDispatch, trainDispatchMarkdown } from './train-dispatch/run.ts';
import { benchValidateData, wideRows } from './validate-data/run.ts';

const root = join(import.meta.dirname, '..');
const work = join(root, 'bench', '.work');
const s = (x: number) => `${x.toFixed(2)} s`;
const mib = (x: number) => `${x.toFixed(0)} MiB`;

function distSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

const startup = benchStartup(root);
console.log('startup', startup);
const vd = await benchValidateData(root, work);
console.log('validate-data', vd);
const em = await benchEvaluateModel(root, work);
console.log(
  'evaluate-model',
  JSON.stringify(em, (k, v) => (k === 'stdout' ? undefined : v)),
);
const sv = await benchServe(root, work);
console.log('serve', JSON.stringify(sv));
const bi = await benchBuildImage(root, work);
console.log(
  'build-image',
  JSON.stringify(bi, (k, v) => (k === 'stdout' || k === 'stderr' ? undefined : v)),
);
// One test node for the benches that need it (each would otherwise start and stop its own).
await globalSetup();
const dr = await benchDeployRollout(work);
console.log('deploy-rollout', JSON.stringify(dr));
const rb = await benchRollback(work);
console.log('rollback', JSON.stringify(rb));
const td = await benchTrainDispatch(work);
console.log('train-dispatch', JSON.stringify(td));
await globalTeardown();
const mg = await benchMonitorGate();
console.log('monitor-gate', JSON.stringify(mg));
const dist = distSize(join(root, 'dist'));

const md = `# Benchmark results

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores
(${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.
Every figure is a ratio measured in the same run; wall time and peak RSS come from GNU time.

## validate-data (bench/validate-data)

1,000,000 rows × 20 columns (14 numeric, 6 categorical; ${(statSync(join(work, 'validate-data', 'data.csv')).size / 2 ** 20).toFixed(0)} MiB of CSV) and a drifted reference of
the same size; a contract with a rule on every column and drift on every column (\`auto\`, so PSI
on numbers and Jensen–Shannon on categories at this size), plus the profile of every column.
Median of ${vd.rounds} interleaved rounds (the range in brackets).

| run | wall | peak RSS |
| --- | ---: | ---: |
| modelship validate-data (bundled CLI, cold process) | ${s(vd.ours.seconds)} (${vd.ranges.ours}) | ${mib(vd.peakMiB)} |
| pandas + scipy, the same checks and tests | ${s(vd.peer.seconds)} (${vd.ranges.peer}) | ${mib(vd.peer.peakMiB)} |
| floor: DuckDB \`count(*)\` over the data file, cold process | ${s(vd.floor.seconds)} (${vd.ranges.floor}) | ${mib(vd.floor.peakMiB)} |
| floor over both files (data and reference) | ${s(vd.floorBoth.seconds)} (${vd.ranges.floorBoth}) | ${mib(vd.floorBoth.peakMiB)} |
${wideRows(vd, s, mib)}

- vs pandas: **${vd.vsPeer.toFixed(1)}× faster** (target ≥ 5×), round by round ${vd.ranges.vsPeer}×.
- vs reading the data: **${vd.vsFloorBoth.toFixed(1)}×** the \`count(*)\` scan of both files it reads (target ≤ 3×), round by round ${vd.ranges.vsFloorBoth}×; ${vd.vsFloor.toFixed(1)}× the scan of the data file alone (round by round ${vd.ranges.vsFloor}×).
- CPU time (user + system) of the median runs: modelship ${vd.ours.cpuSeconds.toFixed(1)} s, pandas ${vd.peer.cpuSeconds.toFixed(1)} s (on one core: its CPU time is its wall time). The least wall modelship's CPU time allows on these cores, were every core busy from start to end: ${s(leastWall(vd.ours))}, so at best ${(vd.peer.seconds / leastWall(vd.ours)).toFixed(1)}× faster than pandas (target ≥ 5×) and ${(leastWall(vd.ours) / vd.floorBoth.seconds).toFixed(1)}× the scan of both files (target ≤ 3×).
- peak RSS: **${mib(vd.peakMiB)}**, the highest of the rounds (target < 1536 MiB).
- both found drift in: ${vd.drifted || 'none'} (pandas: ${vd.peerFailed || 'none'}).
- wide file: **${vd.wide.vsFloor.toFixed(1)}×** its \`count(*)\` scan (target: seconds, not minutes).

${evaluateModelMarkdown(em)}
${serveMarkdown(sv)}
${buildImageMarkdown(bi)}
${deployRolloutMarkdown(dr)}
${rollbackMarkdown(rb)}
${trainDispatchMarkdown(td)}
${monitorGateMarkdown(mg)}
## Cold start of the bundled actions (bench/startup)

Median of 21 runs of \`node dist/actions/<step>.mjs\` with no inputs (it exits 2 at once) against
\`node -e 0\` on the same Node (${(startup.baseline * 1000).toFixed(0)} ms).

| action | cold start | ratio (target ≤ 3×) |
| --- | ---: | ---: |
${startup.actions.map((a) => `| ${a.action} | ${(a.seconds * 1000).toFixed(0)} ms | ${a.ratio.toFixed(2)}× |`).join('\n')}

dist/ in all: ${(dist / 2 ** 20).toFixed(2)} MB (limit 8 MB); no native module inside.
`;
writeFileSync(join(root, 'bench', 'RESULTS.md'), md);
console.log(md);
