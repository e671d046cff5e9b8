/**
 * `npm run demo`: the example pipeline on embedded defaults, step by step, through the same CLI
 * a GitLab job or a laptop uses. It grows as the lifecycle's steps land.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'packages', 'cli', 'src', 'main.ts');

/** A step of the demo: a modelship step through the CLI, or one of the example's own scripts. */
const pipeline: { step: string; script?: string; args: string[] }[] = [
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
  {
    // Training is the project's own business (train-dispatch will start it on a runner); here a
    // small trainer writes the challenger next to the reports, leaving the committed model alone.
    step: 'train',
    script: join(root, 'examples', 'train.ts'),
    args: ['modelship-reports/demo/challenger.onnx'],
  },
  {
    step: 'evaluate-model',
    args: [
      '--model',
      'modelship-reports/demo/challenger.onnx',
      '--baseline',
      'examples/models/baseline.onnx',
      '--data',
      'examples/data/iris-test.csv',
      '--label-column',
      'species',
      '--gates',
      'accuracy >= 0.8\nf1_macro >= baseline.f1_macro - 0.01\nlatency_p95_ms <= 50',
      '--robustness',
      'gaussian-noise:0.1',
      '--report',
      'modelship-reports/demo/evaluate-model.json',
    ],
  },
  {
    // No registry needed: the image goes to an OCI layout that skopeo, crane and containerd read.
    step: 'build-image',
    args: [
      '--model',
      'modelship-reports/demo/challenger.onnx',
      '--name',
      'ghcr.io/modelship/iris',
      '--tags',
      'demo',
      '--runtime',
      'artifact',
      '--evaluation-report',
      'modelship-reports/demo/evaluate-model.json',
      '--output',
      'modelship-reports/demo/image',
    ],
  },
];

for (const [i, { step, script, args }] of pipeline.entries()) {
  process.stderr.write(`\n━━ ${i + 1}/${pipeline.length} ${script ? step : `modelship ${step}`} ━━\n`);
  const argv = script ? [script, ...args] : [cli, step, ...args];
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`\ndemo stopped: ${step} exited with ${r.status}\n`);
    process.exit(r.status ?? 1);
  }
}
process.stderr.write('\ndemo finished: reports in modelship-reports/demo/\n');
