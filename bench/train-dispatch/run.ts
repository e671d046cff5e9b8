/**
 * bench/train-dispatch: the step's own overhead on the test node. A Job that sleeps 10 s, started
 * and waited for by `modelship train-dispatch --target kubernetes` (a CLI bundled from this
 * checkout by scripts/build-cli.ts, a cold process) against the same Job made with
 * `kubectl create` + `kubectl wait --for=condition=complete`, alternating which goes first; medians
 * over the rounds. And a cache hit: train-dispatch with inputs already trained (local target, a
 * registry from test/support/registry.ts), whose answer must come in under a second.
 *
 * The node: the one MODELSHIP_KUBE_NODE names, else one started here (and always stopped).
 * Run alone: node bench/train-dispatch/run.ts [rounds=3]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeNode } from '../../test/support/kube-node.ts';
import { startRegistry } from '../../test/support/registry.ts';
import { cleanEnv, NODE, ROOT } from '../../test/support/run.ts';
import { trainerImage } from '../../test/support/trainer-image.ts';
import { type BenchHooks, bundleCli, ok, onKubeNode } from '../kube.ts';
import { measureAsync, median } from '../measure.ts';

/** No commas: a list input splits on them. */
const SLEEP = "require('timers/promises').setTimeout(1e4)";

export interface TrainDispatchBench {
  rounds: { ours: number; peer: number; inStep: number }[];
  ours: number;
  peer: number;
  ratio: number;
  /** The cache hit: the whole process, and the step inside it (its report). */
  skipWall: number;
  skipInStep: number;
}

export async function benchTrainDispatch(work: string, rounds = 3): Promise<TrainDispatchBench> {
  return onKubeNode((node, hooks) => bench(node, hooks, join(work, 'train-dispatch'), rounds));
}

async function bench(node: KubeNode, hooks: BenchHooks, dir: string, rounds: number) {
  await mkdir(dir, { recursive: true });
  const cli = await bundleCli(dir);
  const ns = await node.namespace(hooks);
  const image = await trainerImage(hooks.t, node.registry);
  const env = { ...cleanEnv(), KUBECONFIG: node.kubeconfig } as Record<string, string>;
  const kubectl = join(node.bin, 'kubectl');
  const report = join(dir, 'report.json');

  const ours = async () => {
    const m = ok(
      await measureAsync(
        NODE,
        [cli, 'train-dispatch', '--target', 'kubernetes', '--image', image, '--namespace', ns].concat([
          '--command',
          'node',
          '--args',
          `-e\n${SLEEP}`,
          '--deadline',
          '5m',
          '--report',
          report,
        ]),
        dir,
        env,
      ),
      'modelship train-dispatch',
    );
    return {
      seconds: m.seconds,
      inStep: (JSON.parse(readFileSync(report, 'utf8')) as { seconds: number }).seconds,
    };
  };
  let n = 0;
  const peer = async () => {
    const name = `bench-kubectl-${++n}`;
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(peerJob(name, image)));
    const c = ok(await measureAsync(kubectl, ['create', '-n', ns, '-f', file], dir, env), 'kubectl create');
    const w = ok(
      await measureAsync(
        kubectl,
        ['wait', '-n', ns, '--for=condition=complete', `job/${name}`, '--timeout=5m'],
        dir,
        env,
      ),
      'kubectl wait',
    );
    await measureAsync(kubectl, ['delete', '-n', ns, `job/${name}`, '--wait=false'], dir, env);
    return c.seconds + w.seconds;
  };
  // The first of each pulls the image onto the node: not what is measured.
  await ours();
  await peer();
  const out: TrainDispatchBench['rounds'] = [];
  for (let r = 0; r < rounds; r++) {
    const peerFirst = r % 2 === 1;
    const p = peerFirst ? await peer() : undefined;
    const o = await ours();
    const round = { ours: o.seconds, inStep: o.inStep, peer: p ?? (await peer()) };
    console.error(`train-dispatch round ${r + 1}/${rounds}: ${JSON.stringify(round)}`);
    out.push(round);
  }
  const skip = await cacheHit(cli, dir, hooks);
  const m = (f: (r: TrainDispatchBench['rounds'][number]) => number) => median(out.map(f));
  return {
    rounds: out,
    ours: m((r) => r.ours),
    peer: m((r) => r.peer),
    ratio: m((r) => r.ours) / m((r) => r.peer),
    ...skip,
  };
}

/** The Job train-dispatch makes for one worker, as a person would write it for kubectl. */
function peerJob(name: string, image: string) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 300,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'train', image, command: ['node'], args: ['-e', SLEEP] }],
        },
      },
    },
  };
}

/** Trains once with the local target, then measures the same inputs again: medians of 5 skips. */
async function cacheHit(cli: string, dir: string, hooks: BenchHooks) {
  const registry = await startRegistry(hooks);
  const report = join(dir, 'skip.json');
  const args = [cli, 'train-dispatch', '--target', 'local', '--command', `${NODE}\nexamples/trainer/main.ts`]
    .concat([
      '--params',
      'iterations=20',
      '--code-paths',
      'examples/data',
      '--data-digest',
      `sha256:${'c'.repeat(64)}`,
    ])
    .concat(['--registry', `${registry.host}/bench/iris`, '--report', report]);
  ok(await measureAsync(NODE, args, ROOT, cleanEnv() as Record<string, string>), 'the first local training');
  const walls: number[] = [];
  const inStep: number[] = [];
  for (let i = 0; i < 5; i++) {
    const m = ok(await measureAsync(NODE, args, ROOT, cleanEnv() as Record<string, string>), 'the cache hit');
    const r = JSON.parse(readFileSync(report, 'utf8')) as { status: string; seconds: number };
    if (r.status !== 'skipped') throw new Error(`the second run was not a skip: ${r.status}`);
    walls.push(m.seconds);
    inStep.push(r.seconds);
  }
  return { skipWall: median(walls), skipInStep: median(inStep) };
}

const s = (x: number) => `${x.toFixed(2)} s`;

export function trainDispatchMarkdown(b: TrainDispatchBench): string {
  return `## train-dispatch (bench/train-dispatch)

A Job whose container sleeps 10 s on the test node, from the command to the Job complete; medians
of ${b.rounds.length} rounds, alternating which goes first.

| run | wall |
| --- | ---: |
| modelship train-dispatch --target kubernetes (bundled CLI, cold process; creates, streams logs, waits, deletes) | ${s(b.ours)} |
| kubectl create + kubectl wait --for=condition=complete | ${s(b.peer)} |
| ratio (goal ≤ 1.1) | ${b.ratio.toFixed(2)} |

Cache hit (same data, code, params and image: one manifest lookup, nothing started): ${s(b.skipWall)} for the
whole process, ${s(b.skipInStep)} inside the step (goal < 1 s).
`;
}

if (import.meta.main) {
  const b = await benchTrainDispatch(join(ROOT, 'bench', '.work'), Number(process.argv[2] ?? 3));
  console.log(JSON.stringify(b, null, 2));
  console.log(trainDispatchMarkdown(b));
}
