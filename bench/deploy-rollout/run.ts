/**
 * bench/deploy-rollout: a rolling update of the example model's serve image (3 replicas) on the
 * test node, from the command to every new pod Ready: `modelship deploy-rollout` (the bundled CLI,
 * a cold process) against the peer, `kubectl apply` + `kubectl rollout status` of the same
 * manifests (the ones the CLI's dry run prints, for an app of the peer's own). Each round moves
 * both apps to the other image, alternating which goes first; the figures are medians over the
 * rounds. It also reads the CLI's report for its API requests and where its time went.
 *
 * The node: the one MODELSHIP_KUBE_NODE names, else one started here (and always stopped).
 * Run alone: node bench/deploy-rollout/run.ts [rounds=5] (prints the figures; RESULTS.md is left alone).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { serveImage } from '../../test/support/kube-deploy.ts';
import type { KubeNode } from '../../test/support/kube-node.ts';
import { cleanEnv, NODE } from '../../test/support/run.ts';
import { type BenchHooks, bundleCli, ok, onKubeNode } from '../kube.ts';
import { measureAsync, median, range } from '../measure.ts';

const REPLICAS = 3;
const OURS = 'bench-ms';
const PEER = 'bench-kc';

interface Report {
  status: string;
  seconds: number;
  api: { requests: number; retries: number };
  release: { steps: { name: string; seconds: number }[] };
  manifests: unknown[];
}

export interface Round {
  ours: number;
  peer: number;
  /** CPU seconds (user + system) of our process, and of the two kubectl processes. */
  oursCpu: number;
  peerCpu: number;
  /** Seconds inside the step (its report), so ours − this is the process's start and exit. */
  inStep: number;
  /** The timeline: applying, then waiting for the rollout. */
  apply: number;
  wait: number;
  requests: number;
}

export interface DeployRolloutBench {
  rounds: Round[];
  ours: number;
  peer: number;
  ratio: number;
  /** Median over rounds of ours − peer in the same round. */
  overhead: number;
  requests: number;
  oursCpu: number;
  peerCpu: number;
  /** The 1-minute load average before and after the rounds: the machine is shared. */
  load: [number, number];
  startup: number;
  /** In the step but around the strategy: image facts, the record, the Lease, the summary. */
  around: number;
  apply: number;
  wait: number;
}

export async function benchDeployRollout(work: string, rounds = 5): Promise<DeployRolloutBench> {
  return onKubeNode((node, hooks) => bench(node, hooks, join(work, 'deploy-rollout'), rounds));
}

async function bench(
  node: KubeNode,
  hooks: BenchHooks,
  dir: string,
  rounds: number,
): Promise<DeployRolloutBench> {
  await mkdir(dir, { recursive: true });
  const cliPath = await bundleCli(dir);
  const ns = await node.namespace(hooks);
  const t = hooks.t;
  const images = [await serveImage(t, node, 'v1'), await serveImage(t, node, 'v2')];
  const env = { ...cleanEnv(), KUBECONFIG: node.kubeconfig } as Record<string, string>;
  const kubectl = join(node.bin, 'kubectl');
  const report = join(dir, 'report.json');
  const cli = (image: string, extra: string[] = []) =>
    measureAsync(
      NODE,
      [
        cliPath,
        'deploy-rollout',
        '--image',
        image,
        '--app',
        OURS,
        '--namespace',
        ns,
        '--replicas',
        `${REPLICAS}`,
      ].concat(['--report', report, ...extra]),
      dir,
      env,
    );
  // The peer's manifests: the ones the step would apply, for an app of its own.
  const manifests: string[] = [];
  for (const [i, image] of images.entries()) {
    ok(await cli(image, ['--dry-run', 'true', '--app', PEER]), 'the dry run');
    const list = { apiVersion: 'v1', kind: 'List', items: readReport(report).manifests };
    manifests.push(join(dir, `peer-${i}.json`));
    writeFileSync(manifests[i]!, JSON.stringify(list));
  }
  const peer = async (i: number) => {
    const a = ok(
      await measureAsync(kubectl, ['apply', '-n', ns, '-f', manifests[i]!], dir, env),
      'kubectl apply',
    );
    const s = ok(
      await measureAsync(
        kubectl,
        ['rollout', 'status', '-n', ns, `deployment/${PEER}`, '--timeout=10m'],
        dir,
        env,
      ),
      'kubectl rollout status',
    );
    return { seconds: a.seconds + s.seconds, cpu: a.cpuSeconds + s.cpuSeconds };
  };
  const ours = async (i: number) => {
    const m = ok(await cli(images[i]!), 'modelship deploy-rollout');
    return { seconds: m.seconds, cpu: m.cpuSeconds, report: readReport(report) };
  };
  // The first deploy of each (a create, and the image pull) is not what is measured.
  await ours(0);
  await peer(0);
  const out: Round[] = [];
  const loadBefore = loadavg()[0]!;
  for (let r = 0; r < rounds; r++) {
    const i = (r + 1) % 2;
    const peerFirst = r % 2 === 1;
    const p = peerFirst ? await peer(i) : undefined;
    const o = await ours(i);
    const q = p ?? (await peer(i));
    const step = (name: string) => o.report.release.steps.find((s) => s.name === name)?.seconds ?? 0;
    const round: Round = {
      ours: o.seconds,
      peer: q.seconds,
      oursCpu: o.cpu,
      peerCpu: q.cpu,
      inStep: o.report.seconds,
      apply: step('apply'),
      wait: step('rollout'),
      requests: o.report.api.requests,
    };
    console.error(`deploy-rollout round ${r + 1}/${rounds}: ${JSON.stringify(round)}`);
    out.push(round);
  }
  const m = (f: (r: Round) => number) => median(out.map(f));
  return {
    rounds: out,
    ours: m((r) => r.ours),
    peer: m((r) => r.peer),
    ratio: m((r) => r.ours) / m((r) => r.peer),
    overhead: m((r) => r.ours - r.peer),
    requests: m((r) => r.requests),
    oursCpu: m((r) => r.oursCpu),
    peerCpu: m((r) => r.peerCpu),
    load: [loadBefore, loadavg()[0]!],
    startup: m((r) => r.ours - r.inStep),
    around: m((r) => r.inStep - r.apply - r.wait),
    apply: m((r) => r.apply),
    wait: m((r) => r.wait),
  };
}

function readReport(path: string): Report {
  const r = JSON.parse(readFileSync(path, 'utf8')) as Report;
  if (r.status !== 'promoted' && r.status !== 'planned') throw new Error(`deploy-rollout ended ${r.status}`);
  return r;
}

const s = (x: number) => `${x.toFixed(2)} s`;

export function deployRolloutMarkdown(b: DeployRolloutBench): string {
  return `## deploy-rollout (bench/deploy-rollout)

A rolling update of the example model's serve image, ${REPLICAS} replicas, on the test node (Kubernetes
v1.20.2), from the command to every new pod Ready; ${b.rounds.length} rounds, each moving both apps to the
other image, alternating which goes first. The peer applies the manifests the step's dry run prints.

| run | median wall | median CPU |
| --- | ---: | ---: |
| modelship deploy-rollout (bundled CLI, cold process) | ${s(b.ours)} | ${s(b.oursCpu)} |
| \`kubectl apply\` + \`kubectl rollout status\`, the same manifests | ${s(b.peer)} | ${s(b.peerCpu)} |

- ratio: **${b.ratio.toFixed(2)}×** (target ≤ 1.1×), of the medians; round by round ${range(b.rounds.map((r) => r.ours / r.peer))}×,
  since how long a pod takes to pass its probe varies more than the step's own time. The step's own
  overhead, ours − the peer's in the same round: **${s(b.overhead)}** (target < 1 s).
- where the step's time went (medians): the process starting (Node, the bundle) and exiting ${s(b.startup)};
  the image's facts, the Lease and the release record before and after ${s(b.around)}; applying ${s(b.apply)};
  waiting for the rollout ${s(b.wait)}.
- API requests per rollout: **${b.requests}** (watches count one each).
- load average (1 min) before and after the rounds: ${b.load.map((x) => x.toFixed(1)).join(' and ')} on ${cpus().length} cores;
  the node's pods and both commands share them, so a loaded machine stretches every figure.
`;
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..', '..');
  const b = await benchDeployRollout(join(root, 'bench', '.work'), Number(process.argv[2] ?? 5));
  console.log(JSON.stringify(b, null, 2));
  console.log(deployRolloutMarkdown(b));
}
