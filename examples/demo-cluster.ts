/**
 * `npm run demo:cluster`: the release half of the lifecycle on a local Kubernetes node, through the
 * CLI as a user runs it — deploy v1, a canary of v2 with analysis (promoted), a watch on v2, a
 * canary of a bad model whose analysis fails (rolled back to v2 by itself), a manual rollback to
 * v1, the history. The node is the one MODELSHIP_KUBE_NODE names (a handle from
 * scripts/kube-node/up.ts), else one started here (built the first time) and always stopped.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { serveImage, versionAnswering } from '../test/support/kube-deploy.ts';
import {
  attachKubeNode,
  type KubeNode,
  type RunningNode,
  startKubeNode,
  whyNoKubeNode,
} from '../test/support/kube-node.ts';
import { startLoad } from '../test/support/load-generator.ts';
import { writeModelFiles } from '../test/support/models.ts';
import { brittleModel, irisRows } from '../test/support/monitor-models.ts';
import { cleanEnv, ROOT } from '../test/support/run.ts';

const CLI = join(ROOT, 'packages/cli/src/bin.ts');
const REPORTS = 'modelship-reports/demo-cluster';
const APP = 'iris';
const say = (line = '') => process.stderr.write(`${line}\n`);

/** What the test fixtures need of a TestContext (`after`), run in reverse when the demo ends. */
const cleanups: (() => unknown)[] = [];
const hooks = { after: (fn: () => unknown) => void cleanups.push(fn) };
// The fixtures are typed for node:test; `after` is all they call.
const t = hooks as unknown as Parameters<typeof serveImage>[0];

let owned: RunningNode | undefined;
let tornDown: Promise<void> | undefined;
const tearDown = () =>
  (tornDown ??= (async () => {
    say('\n━━ teardown ━━');
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((e) => say(`  cleanup: ${e}`));
    const left = (await owned?.stop()) ?? [];
    say(left.length ? `  the node was not fully torn down: ${left.join('; ')}` : '  done');
  })());
// Ctrl-C: the namespace (and the node, when it is ours) goes, then the demo ends.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => void tearDown().finally(() => process.exit(130)));

/** scripts/kube-node/build.sh: the node's binaries, built the first time with progress, cached after. */
function buildNode(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, 'scripts/kube-node/build.sh')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`scripts/kube-node/build.sh failed (${code})`)),
    );
  });
}

/** `modelship <args>` from the repository root, its progress on this terminal; its outputs (JSON on stdout). */
function modelship(args: string[], kubeconfig: string) {
  return new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    say(`$ modelship ${args.map((a) => (/[\s,%"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      // The kubeconfig travels in the environment, as a CI secret would, never on the command line.
      env: cleanEnv({ MODELSHIP_INPUT_KUBECONFIG: kubeconfig }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    const closed = new Promise<void>((done) =>
      child.on('close', (code) => {
        resolve({ code, stdout });
        done();
      }),
    );
    // Stopped on Ctrl-C or SIGTERM before the namespace goes: a step stops at its next safe point
    // on SIGTERM, as when a CI job is cancelled (10 s at most).
    hooks.after(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      return Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
    });
  });
}

/** Ten answers from the Service, each on a new connection; polled until `expected` alone answers (kube-proxy lags a moment). */
async function serving(ip: string, expected: string): Promise<string> {
  let tally: Record<string, number> = {};
  for (let attempt = 0; attempt < 15; attempt++) {
    tally = {};
    for (let i = 0; i < 10; i++) {
      const v = await versionAnswering(ip).catch(() => 'no answer');
      tally[v] = (tally[v] ?? 0) + 1;
    }
    if (tally[expected] === 10) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return Object.entries(tally)
    .map(([v, n]) => `${v} ×${n}`)
    .join(', ');
}

interface Stage {
  title: string;
  args: string[];
  /** The exit code the stage should end with (1: a negative verdict the demo means to show). */
  exit: number;
  /** The version the Service should answer with afterwards. */
  serves?: string;
  /** The step outputs worth a line. */
  show?: string[];
}

function stages(ns: string, images: Record<'v1' | 'v2' | 'v3', string>): Stage[] {
  const where = ['--app', APP, '--namespace', ns];
  const deploy = (image: string, report: string, flags: string[] = []) => [
    'deploy-rollout',
    '--image',
    image,
    ...where,
    '--replicas',
    '2',
    '--progress-deadline',
    '3m',
    '--report',
    `${REPORTS}/${report}.json`,
    ...flags,
  ];
  // Short analysis windows so the demo takes minutes: two 4 s measurements of at least 3 requests.
  const windows = (prefix = '') => [
    `--${prefix}interval`,
    '4s',
    `--${prefix}count`,
    '2',
    `--${prefix}min-samples`,
    '3',
  ];
  const canary = [
    '--strategy',
    'canary',
    '--steps',
    '50%, analysis, 100%',
    '--analysis-metrics',
    'error-rate, latency-p95',
    ...windows('analysis-'),
  ];
  const deployShow = ['status', 'revision', 'stable-version'];
  return [
    {
      title: 'deploy v1 (rolling)',
      args: deploy(images.v1, '1-deploy-v1'),
      exit: 0,
      serves: 'v1',
      show: deployShow,
    },
    {
      title: 'canary v2: 50%, analysis, 100% (promoted)',
      args: deploy(images.v2, '2-canary-v2', canary),
      exit: 0,
      serves: 'v2',
      show: deployShow,
    },
    {
      title: 'monitor-gate: a watch on v2 after promotion',
      args: [
        'monitor-gate',
        ...where,
        '--canary-version',
        'v2',
        '--metrics',
        'error-rate, latency-p95',
        ...windows(),
        '--rollback-on-failure',
        'true',
        '--report',
        `${REPORTS}/3-watch-v2.json`,
      ],
      exit: 0,
      serves: 'v2',
      show: ['verdict', 'rolled-back'],
    },
    {
      title: 'canary v3, a model that fails on out-of-range rows: analysis fails, back to v2 by itself',
      args: deploy(images.v3, '4-canary-v3-bad', canary),
      exit: 1,
      serves: 'v2',
      show: deployShow,
    },
    {
      title: 'manual rollback to v1',
      args: [
        'rollback',
        ...where,
        '--to',
        'v1',
        '--reason',
        'demo: back to v1',
        '--deadline',
        '3m',
        '--report',
        `${REPORTS}/5-rollback-v1.json`,
      ],
      exit: 0,
      serves: 'v1',
      show: ['status', 'to', 'path', 'revision', 'recovery-seconds'],
    },
    { title: 'the release history', args: ['history', ...where], exit: 0 },
  ];
}

async function demo(node: KubeNode) {
  const ns = await node.namespace(hooks);
  say(`namespace ${ns}; to look around while the demo runs:`);
  say(`  KUBECONFIG=${node.kubeconfig} ${join(node.bin, 'kubectl')} -n ${ns} get deploy,pods,svc,configmap`);
  say(
    '\n━━ images: v1 and v2 of the example model, v3 a model answering 500 for rows with a feature of 8.5 ━━',
  );
  say(`  modelship build-image --push, to the node's registry ${node.registry} (a minute the first time)`);
  const models = await writeModelFiles(hooks, { brittle: brittleModel() });
  const [v1, v2, v3] = await Promise.all([
    serveImage(t, node, 'v1'),
    serveImage(t, node, 'v2'),
    serveImage(t, node, 'v3', models.brittle),
  ]);
  const images = { v1: v1!, v2: v2!, v3: v3! };
  for (const [v, image] of Object.entries(images)) say(`  ${v}: ${image}`);

  let load: ReturnType<typeof startLoad> | undefined;
  const lines: string[] = [];
  for (const [i, stage] of stages(ns, images).entries()) {
    say(`\n━━ ${i + 1}. ${stage.title} ━━`);
    const r = await modelship(stage.args, node.kubeconfig);
    if (stage.args[0] === 'history') process.stdout.write(r.stdout);
    if (r.code !== stage.exit) throw new Error(`${stage.title}: exited ${r.code}, expected ${stage.exit}`);
    const out = stage.show ? (JSON.parse(r.stdout) as Record<string, string>) : {};
    const svc = await node.api.call<{ spec: { clusterIP: string } }>(
      'GET',
      `/api/v1/namespaces/${ns}/services/${APP}`,
    );
    // Traffic from the first deploy on: the analyses and the watch judge real requests, a fifth of
    // them with the out-of-range feature the bad model fails on.
    load ??= startLoad(hooks, { host: svc.spec.clusterIP, rows: await irisRows(5) });
    // Images by the version they were built as: the digests are in the reports.
    const named = (value = '') => Object.entries(images).find(([, image]) => image === value)?.[0] ?? value;
    const shown = (stage.show ?? []).map((k) => `${k} ${named(out[k]) || '—'}`).join(', ');
    const now = stage.serves ? `serving now: ${await serving(svc.spec.clusterIP, stage.serves)}` : '';
    const report = out.report ? `report: ${out.report}` : '';
    const line = [`${i + 1}. ${stage.title}`, `exit ${r.code}${shown ? `, ${shown}` : ''}`, now, report]
      .filter(Boolean)
      .join('\n     ');
    say(`→ ${line}`);
    lines.push(line);
  }
  const sent = await load?.stop();
  say('\n━━ summary ━━');
  for (const line of lines) say(line);
  say(`load: ${sent?.sent} requests, by status ${JSON.stringify(sent?.byStatus)}`);
  say(`reports (JSON, kept): ${relative(process.cwd(), join(ROOT, REPORTS)) || '.'}/`);
}

say('━━ the local Kubernetes node ━━');
let failed = false;
try {
  await rm(join(ROOT, REPORTS), { recursive: true, force: true });
  const attach = process.env.MODELSHIP_KUBE_NODE;
  if (attach) {
    say(`attaching to the node in ${attach} (MODELSHIP_KUBE_NODE)`);
    if (!existsSync(attach))
      throw new Error(
        `MODELSHIP_KUBE_NODE names ${attach}, which does not exist: give the node.json scripts/kube-node/up.ts printed, or unset it to start a node here`,
      );
  } else {
    const why = await whyNoKubeNode();
    if (why) throw new Error(`this machine cannot run the local node: ${why}`);
    say('building its binaries (the first time only: progress below), then starting it');
    await buildNode();
    owned = await startKubeNode();
  }
  await demo(owned ?? (await attachKubeNode(attach!)));
} catch (e) {
  failed = true;
  say(`\ndemo stopped: ${e instanceof Error ? e.message : e}`);
} finally {
  await tearDown();
}
process.exit(failed ? 1 : 0);
