/**
 * bench/rollback: time to recovery on the test node — from the command to every request on the
 * previous version with its pods Ready — of the example model's serve image, 3 replicas.
 *
 * - cold: `modelship rollback` of a rolling app (v2 → v1, a redeploy without analysis) against
 *   `kubectl rollout undo` + `kubectl rollout status` of a twin app deployed from the same manifests,
 *   in the same rounds, alternating which goes first (target ≤ 1.0×).
 * - warm: `modelship rollback` of a blue-green app while the deploy keeps the old slot up
 *   (scale-down-delay): a Service switch to ready pods (target < 2 s). The deploy is asked to stop
 *   first, as it would be in real life, and that is counted.
 *
 * The CLI is bundled from the sources into bench/.work/rollback/ (as dist/ is, a cold process), so
 * it measures this checkout whether or not dist/ was rebuilt. Figures are medians over the rounds.
 * The node: the one MODELSHIP_KUBE_NODE names, else one started here (and always stopped).
 * Run alone: node bench/rollback/run.ts [rounds=3] (prints the figures; RESULTS.md is left alone).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serveImage } from '../../test/support/kube-deploy.ts';
import type { KubeNode } from '../../test/support/kube-node.ts';
import { cleanEnv, NODE } from '../../test/support/run.ts';
import { type BenchHooks, bundleCli, ok, onKubeNode } from '../kube.ts';
import { measureAsync, median } from '../measure.ts';

const REPLICAS = 3;
const OURS = 'rb-ms';
const PEER = 'rb-kc';
const WARM = 'rb-bg';

export interface RollbackRound {
  /** Wall seconds of the command, cold path; the peer's undo + status in the same round. */
  cold: number;
  peer: number;
  /** The step's own time to recovery (from its start, so without Node's start-up). */
  coldRecovery: number;
  /** Wall seconds of the command, warm path, and its own time to recovery. */
  warm: number;
  warmRecovery: number;
  requests: number;
}

export interface RollbackBench {
  rounds: RollbackRound[];
  cold: number;
  peer: number;
  ratio: number;
  coldRecovery: number;
  warm: number;
  warmRecovery: number;
  requests: number;
}

export async function benchRollback(work: string, rounds = 3): Promise<RollbackBench> {
  return onKubeNode((node, hooks) => bench(node, hooks, join(work, 'rollback'), rounds));
}

async function bench(node: KubeNode, hooks: BenchHooks, dir: string, rounds: number): Promise<RollbackBench> {
  await mkdir(dir, { recursive: true });
  const cliPath = await bundleCli(dir);
  const ns = await node.namespace(hooks);
  const t = hooks.t;
  const [v1, v2] = [await serveImage(t, node, 'v1'), await serveImage(t, node, 'v2')] as [string, string];
  const env = { ...cleanEnv(), KUBECONFIG: node.kubeconfig, USER: 'bench' } as Record<string, string>;
  const kubectl = join(node.bin, 'kubectl');
  const report = join(dir, 'report.json');
  const cli = (args: string[]) =>
    measureAsync(NODE, [cliPath, ...args, '--namespace', ns, '--report', report], dir, env);
  const deploy = async (app: string, image: string, extra: string[] = []) =>
    ok(
      await cli(['deploy-rollout', '--app', app, '--image', image, '--replicas', `${REPLICAS}`, ...extra]),
      `deploy ${app}`,
    );
  const rollback = async (app: string) => {
    const m = ok(await cli(['rollback', '--app', app, '--reason', 'bench']), `rollback ${app}`);
    const r = JSON.parse(readFileSync(report, 'utf8')) as {
      status: string;
      path: string;
      recoverySeconds: number;
      api: { requests: number };
    };
    if (r.status !== 'rolled-back') throw new Error(`rollback of ${app} ended ${r.status}`);
    return { seconds: m.seconds, path: r.path, recovery: r.recoverySeconds, requests: r.api.requests };
  };
  // The peer's manifests: the ones deploy-rollout applies, for an app of its own.
  const manifests: string[] = [];
  for (const [i, image] of [v1, v2].entries()) {
    ok(
      await cli([
        'deploy-rollout',
        '--app',
        PEER,
        '--image',
        image,
        '--replicas',
        `${REPLICAS}`,
        '--dry-run',
        'true',
      ]),
      'dry run',
    );
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: JSON.parse(readFileSync(report, 'utf8')).manifests,
    };
    manifests.push(join(dir, `peer-${i}.json`));
    writeFileSync(manifests[i]!, JSON.stringify(list));
  }
  const kc = async (args: string[]) =>
    ok(await measureAsync(kubectl, ['-n', ns, ...args], dir, env), `kubectl ${args[0]}`);
  const peerTo = async (i: number) => {
    await kc(['apply', '-f', manifests[i]!]);
    await kc(['rollout', 'status', `deployment/${PEER}`, '--timeout=10m']);
  };
  const peerUndo = async () =>
    (await kc(['rollout', 'undo', `deployment/${PEER}`])).seconds +
    (await kc(['rollout', 'status', `deployment/${PEER}`, '--timeout=10m'])).seconds;
  await deploy(OURS, v1);
  await peerTo(0);
  await deploy(WARM, v1, ['--strategy', 'blue-green', '--scale-down-delay', '0s']);
  const out: RollbackRound[] = [];
  for (let r = 0; r < rounds; r++) {
    await deploy(OURS, v2);
    await peerTo(1);
    const peerFirst = r % 2 === 1;
    const p = peerFirst ? await peerUndo() : undefined;
    const cold = await rollback(OURS);
    const peer = p ?? (await peerUndo());
    const warm = await warmRound(cliPath, ns, env, v2, () => rollback(WARM));
    if (cold.path !== 'cold' || warm.path !== 'warm') throw new Error(`paths: ${cold.path}, ${warm.path}`);
    const round: RollbackRound = {
      cold: cold.seconds,
      peer,
      coldRecovery: cold.recovery,
      warm: warm.seconds,
      warmRecovery: warm.recovery,
      requests: cold.requests,
    };
    console.error(`rollback round ${r + 1}/${rounds}: ${JSON.stringify(round)}`);
    out.push(round);
  }
  const m = (f: (r: RollbackRound) => number) => median(out.map(f));
  return {
    rounds: out,
    cold: m((r) => r.cold),
    peer: m((r) => r.peer),
    ratio: m((r) => r.cold) / m((r) => r.peer),
    coldRecovery: m((r) => r.coldRecovery),
    warm: m((r) => r.warm),
    warmRecovery: m((r) => r.warmRecovery),
    requests: m((r) => r.requests),
  };
}

/** v2 deployed blue-green with the old slot kept up; once it says so, the measured rollback. */
async function warmRound<T>(
  cliPath: string,
  ns: string,
  env: Record<string, string>,
  image: string,
  measured: () => Promise<T>,
): Promise<T> {
  const args = [
    'deploy-rollout',
    '--app',
    WARM,
    '--namespace',
    ns,
    '--image',
    image,
    '--replicas',
    `${REPLICAS}`,
    '--strategy',
    'blue-green',
    '--scale-down-delay',
    '10m',
    '--report',
    '/dev/null',
  ];
  const child = spawn(NODE, [cliPath, ...args], { env });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/stays up for/.test(stderr)) resolve();
    });
    void exited.then((code) =>
      reject(new Error(`the blue-green deploy exited ${code}:\n${stderr.slice(-2000)}`)),
    );
  });
  try {
    return await measured();
  } finally {
    const code = await exited;
    if (code !== 0)
      console.error(`the blue-green deploy asked to stop exited ${code}:\n${stderr.slice(-1000)}`);
  }
}

const s = (x: number) => `${x.toFixed(2)} s`;

export function rollbackMarkdown(b: RollbackBench): string {
  return `## rollback (bench/rollback)

Time to recovery of the example model's serve image, ${REPLICAS} replicas, on the test node (Kubernetes v1.20.2):
from the command to every request on the previous version with its pods Ready; ${b.rounds.length} rounds, the CLI
bundled from the sources and run as a cold process.

| run | median wall |
| --- | ---: |
| modelship rollback, cold path (v2 → v1 redeployed by digest, no analysis) | ${s(b.cold)} |
| \`kubectl rollout undo\` + \`kubectl rollout status\`, a twin app, same manifests | ${s(b.peer)} |
| modelship rollback, warm path (blue-green slot still up: the deploy is stopped, the Service switched) | ${s(b.warm)} |

- cold ratio: **${b.ratio.toFixed(2)}×** (target ≤ 1.0×); the step's own time to recovery, without Node's start:
  ${s(b.coldRecovery)}.
- warm: **${s(b.warm)}** wall (target < 2 s); the step's own time to recovery ${s(b.warmRecovery)}.
- API requests per cold rollback: ${b.requests} (watches count one each).
`;
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..', '..');
  const b = await benchRollback(join(root, 'bench', '.work'), Number(process.argv[2] ?? 3));
  console.log(JSON.stringify(b, null, 2));
  console.log(rollbackMarkdown(b));
}
