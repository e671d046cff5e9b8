/**
 * `npm run demo`: the example pipeline on embedded defaults, step by step, through the same CLI
 * a GitLab job or a laptop uses. It grows as the lifecycle's steps land.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'packages', 'cli', 'src', 'main.ts');

const pipeline: { step: string; args: string[] }[] = [
  {
    step: 'validate-data',
    args: [
      '--data',
      'examples/data/iris-train.csv',
      '--contract',
      'examples/contract.yml',
      '--reference',
      'examples/data/iris-reference.csv',
      '--report',
      'modelship-reports/demo/validate-data.json',
    ],
  },
];

for (const [i, { step, args }] of pipeline.entries()) {
  process.stderr.write(`\n━━ ${i + 1}/${pipeline.length} modelship ${step} ━━\n`);
  const r = spawnSync(process.execPath, [cli, step, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`\ndemo stopped: ${step} exited with ${r.status}\n`);
    process.exit(r.status ?? 1);
  }
}
process.stderr.write('\ndemo finished: reports in modelship-reports/demo/\n');
