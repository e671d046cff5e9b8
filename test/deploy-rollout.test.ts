/**
 * deploy-rollout on the real test node (test/support/kube-node.ts): the serve image of the example
 * model rolled out and answering inference through its Service, the release record, and each
 * failure as a verdict with the cluster's reason and a clean abort back to the previous version.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectKube } from '../packages/core/src/kube/connect.ts';
import { acquireRollout } from '../packages/core/src/kube/lease.ts';
import type { KubeObject } from '../packages/core/src/kube/types.ts';
import { Registry } from '../packages/core/src/oci/client.ts';
import { resolveStage } from '../packages/core/src/versions/stages.ts';
import { runAction } from './support/action.ts';
import { extraApiServer } from './support/extra-apiserver.ts';
import { gcl, including, project } from './support/gitlab.ts';
import { until } from './support/kube-api.ts';
import {
  deployedImage,
  deployment,
  deployRollout,
  inferThroughService,
  narrowKubeconfig,
  releases,
  serveImage,
  servesOnly,
  startCli,
} from './support/kube-deploy.ts';
import { kubeNodeFixture } from './support/kube-node.ts';
import { STACK, tempDir } from './support/run.ts';

const kube = kubeNodeFixture();

const deploy = deployRollout;

describe('deploy-rollout on a real node', { timeout: 20 * 60_000 }, () => {
  it('rolls the serve image out, answers inference through its Service, and records each release', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);

    const first = await deploy(t, node, {
      image: v1,
      app: 'iris',
      namespace: ns,
      replicas: '2',
      'promote-stage': `production-${ns}`,
    });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(
      {
        status: first.out.status,
        revision: first.out.revision,
        image: first.out.image,
        previous: first.out['previous-image'],
      },
      { status: 'promoted', revision: 1, image: v1, previous: '' },
    );
    const answer = await inferThroughService(node, ns, 'iris');
    assert.equal(answer.body.model_version, 'v1');
    assert.ok(first.report.api.requests > 0, 'the report counts the API requests');

    const second = await deploy(t, node, { image: v2, app: 'iris', namespace: ns, replicas: '2' });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.out['previous-image'], v1);
    assert.equal(second.out['stable-version'], v2);
    await servesOnly(node, ns, 'v2');

    const record = await releases(node, ns, 'iris');
    assert.deepEqual(
      record.map((r) => [r.revision, r.status, r.image, r.previousImage]),
      [
        [2, 'promoted', v2, v1],
        [1, 'promoted', v1, null],
      ],
    );
    assert.match(
      record[1]!.facts?.['dev.modelship.model.digest'] ?? '',
      /^sha256:[0-9a-f]{64}$/,
      'the facts build-image put on the image',
    );
    assert.equal(record[1]!.stage, `production-${ns}`);
    const registry = await Registry.connect(node.registry);
    assert.equal(
      await resolveStage(registry, 'acme/iris', `production-${ns}`),
      v1.split('@')[1],
      'the stage holds v1',
    );
    const d = await deployment(node, ns, 'iris');
    assert.equal(JSON.parse(d.metadata.annotations['modelship.dev/release']!).revision, 2);
  });

  it('a missing image is a verdict naming the image and the registry answer, and the app goes back to the previous version', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const v1 = await serveImage(t, node, 'v1');
    assert.equal((await deploy(t, node, { image: v1, app: 'iris', namespace: ns, replicas: '1' })).code, 0);
    const missing = `${node.registry}/acme/iris@sha256:${'0'.repeat(64)}`;

    const r = await deploy(t, node, { image: missing, app: 'iris', namespace: ns, replicas: '1' });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.out.status, 'aborted');
    assert.equal(r.out['stable-version'], v1);
    assert.match(
      r.stderr,
      new RegExp(`cannot pull ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not found`),
    );
    assert.doesNotMatch(r.stderr, STACK);
    assert.equal(await deployedImage(node, ns, 'iris'), v1, 'the Deployment runs the previous image again');
    const [latest] = await releases(node, ns, 'iris');
    assert.equal(latest!.status, 'aborted');
    assert.match(latest!.reason ?? '', /ErrImagePull|ImagePullBackOff/);
    await servesOnly(node, ns, 'v1');
  });

  it('a token without the rights it needs is one line naming the missing verb, resource and namespace, and is never printed', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const image = await serveImage(t, node, 'v1');
    const kubeconfig = await narrowKubeconfig(node, ns, 'deployer', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'patch'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update', 'delete'],
      },
    ]);
    const token = /token: (\S+)/.exec(kubeconfig)![1]!;

    const r = await deploy(t, node, { image, app: 'iris', namespace: ns }, kubeconfig);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr.trim().split('\n').at(-1),
      `error: forbidden: system:serviceaccount:${ns}:deployer may not patch services in namespace '${ns}'. Grant it with a Role in '${ns}': apiGroups: [""], resources: ["services"], verbs: ["patch"], bound to system:serviceaccount:${ns}:deployer.`,
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes(token), 'the token is never printed');
    const [failed] = await releases(node, ns, 'iris');
    assert.deepEqual([failed!.status, /forbidden/.test(failed!.reason ?? '')], ['failed', true]);

    // The rules actions/deploy-rollout/README.md documents are enough for a whole rollout.
    const documented = await narrowKubeconfig(node, ns, 'documented', [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'create', 'patch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update', 'delete'],
      },
    ]);
    const ok = await deploy(t, node, { image, app: 'iris', namespace: ns, replicas: '1' }, documented);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.out.status, 'promoted');
    const green = {
      image,
      app: 'iris',
      namespace: ns,
      replicas: '1',
      strategy: 'blue-green',
      'scale-down-delay': '0s',
    };
    const bg = await deploy(t, node, green, documented);
    assert.equal(bg.code, 0, bg.stderr);
  });

  it('pods no node can hold (a GPU this node lacks) fail at the deadline with the scheduler reason', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const image = await serveImage(t, node, 'v1');
    const r = await deploy(t, node, {
      image,
      app: 'iris',
      namespace: ns,
      replicas: '1',
      gpus: '1',
      'progress-deadline': '8s',
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.out.status, 'aborted');
    assert.match(r.stderr, /Unschedulable .*Insufficient nvidia\.com\/gpu/);
    assert.match(r.stderr, /progress deadline of 8s/);
  });

  it('a server that crashes at start is a verdict quoting its last log lines; a first deploy is scaled to zero', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const image = await serveImage(t, node, 'v1');
    const r = await deploy(t, node, {
      image,
      app: 'iris',
      namespace: ns,
      replicas: '1',
      env: 'MODELSHIP_MODEL=/models/missing.onnx',
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.out.status, 'aborted');
    assert.match(r.stderr, /CrashLoopBackOff \(pod iris-[a-z0-9-]+, container serve\)/);
    assert.match(
      r.stderr,
      /What the cluster said[\s\S]*missing\.onnx/,
      'the log of the crashed run is quoted',
    );
    const d = await node.api.call<{ spec: { replicas: number } }>(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/iris`,
    );
    assert.equal(d.spec.replicas, 0);
  });

  it('SIGTERM mid-rollout puts the previous version back before exiting, and the record says cancelled', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    assert.equal((await deploy(t, node, { image: v1, app: 'iris', namespace: ns, replicas: '1' })).code, 0);
    // A pod that asks for a GPU this node lacks waits (Unschedulable is not fatal): the rollout stays in progress.
    const dir = await tempDir(t);
    const cli = startCli(t, dir, node.kubeconfig, [
      'deploy-rollout',
      '--image',
      v2,
      '--app',
      'iris',
      '--namespace',
      ns,
      '--replicas',
      '1',
      '--gpus',
      '1',
    ]);
    const { child, exited } = cli;
    await until(
      'the new pod to be pending',
      async () => {
        const pods = await node.api.call<{ items: { spec: { containers: { image: string }[] } }[] }>(
          'GET',
          `/api/v1/namespaces/${ns}/pods?fieldSelector=status.phase%3DPending`,
        );
        return pods.items.some((p) => p.spec.containers[0]!.image === v2) ? true : undefined;
      },
      60_000,
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 143, cli.stderr);
    assert.equal(await deployedImage(node, ns, 'iris'), v1, 'the previous image is back');
    const [latest] = await releases(node, ns, 'iris');
    assert.deepEqual([latest!.revision, latest!.status, latest!.image], [2, 'cancelled', v2]);
    assert.match(cli.stderr, /stopped: cancelled by SIGTERM/);
  });

  it('a dry run validates the manifests on the API server and changes nothing', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const image = await serveImage(t, node, 'v1');
    const r = await deploy(t, node, { image, app: 'iris', namespace: ns, 'dry-run': 'true' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out.status, 'planned');
    const kinds = (r.report.manifests as { kind: string }[]).map((m) => m.kind);
    assert.deepEqual(kinds, ['Service', 'Deployment']);
    const gone = await node.api.raw('GET', `/apis/apps/v1/namespaces/${ns}/deployments/iris`);
    assert.equal(gone.status, 404, 'no Deployment was created');
    const record = await node.api.raw('GET', `/api/v1/namespaces/${ns}/configmaps/iris-modelship-releases`);
    assert.equal(record.status, 404, 'no release was recorded');

    const invalid = await deploy(t, node, {
      image,
      app: 'iris',
      namespace: ns,
      'dry-run': 'true',
      env: 'NOT A NAME=x',
    });
    assert.equal(invalid.code, 2);
    assert.match(
      invalid.stderr,
      /as invalid: spec\.template\.spec\.containers\[0\]\.env\[1\]\.name: Invalid value: "NOT A NAME"/,
    );
  });

  it('runs as the bundled action: outputs, job summary timeline, and the CI facts in the record; the token only in add-mask', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const image = await serveImage(t, node, 'v1');
    const kubeconfig = await narrowKubeconfig(node, ns, 'ci', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    ]);
    const token = /token: (\S+)/.exec(kubeconfig)![1]!;
    const dir = await tempDir(t);
    const r = await runAction(
      'deploy-rollout',
      dir,
      { image, app: 'iris', namespace: ns, replicas: '1', kubeconfig, report: join(dir, 'report.json') },
      { GITHUB_ACTOR: 'octocat', GITHUB_SHA: 'c0ffee' },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.outputs.status, 'promoted');
    assert.equal(r.outputs.revision, '1');
    assert.match(r.summary, /\| rollout \| 100% \|/);
    const logged = `${r.stdout}${r.stderr}`.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    assert.ok(!logged.join('\n').includes(token), 'the token appears only in add-mask commands');
    assert.ok(!(await readFile(join(dir, 'report.json'), 'utf8')).includes(token), 'nor in the report');
    const [release] = await releases(node, ns, 'iris');
    assert.deepEqual(
      [release!.actor, release!.commit, release!.runUrl],
      ['octocat', 'c0ffee', 'https://github.com/acme/fraud/actions/runs/42'],
    );
  });

  it('blue-green: the new version comes up in the idle slot, the Service switches at once, the old slot is scaled to zero; a failure never touches the Service', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const app = { app: 'iris', namespace: ns, replicas: '1', 'scale-down-delay': '0s' };
    const selected = async () =>
      (
        await node.api.call<{ spec: { selector: Record<string, string> } }>(
          'GET',
          `/api/v1/namespaces/${ns}/services/iris`,
        )
      ).spec.selector['modelship.dev/slot'];
    const replicas = async (name: string) =>
      (
        await node.api.call<{ spec: { replicas: number } }>(
          'GET',
          `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
        )
      ).spec.replicas;

    // An app that ran with `rolling` moves over: its Deployment is the old version.
    assert.equal((await deploy(t, node, { ...app, image: v1 })).code, 0);
    const first = await deploy(t, node, { ...app, image: v2, strategy: 'blue-green' });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual([first.out.status, first.out['previous-image']], ['promoted', v1]);
    assert.equal(await selected(), 'blue');
    await servesOnly(node, ns, 'v2');
    assert.equal(await replicas('iris'), 0, 'the rolling Deployment was the old version');

    const second = await deploy(t, node, { ...app, image: v1, strategy: 'blue-green' });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(await selected(), 'green');
    await servesOnly(node, ns, 'v1');
    assert.equal(await replicas('iris-blue'), 0);
    assert.deepEqual(
      second.report.release.steps.map((s) => [s.name, s.weight]),
      [
        ['preview', 0],
        ['ready', 0],
        ['switch', 100],
        ['scale-down', 100],
      ],
    );

    const missing = `${node.registry}/acme/iris@sha256:${'1'.repeat(64)}`;
    const failed = await deploy(t, node, { ...app, image: missing, strategy: 'blue-green' });
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(failed.out.status, 'aborted');
    assert.equal(await selected(), 'green', 'the Service never left the stable slot');
    assert.equal(await replicas('iris-blue'), 0);
    await servesOnly(node, ns, 'v1');

    // Back to rolling: the slot that served is the previous version, and is retired once promoted.
    const back = await deploy(t, node, { ...app, image: v2 });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.out['previous-image'], v1);
    assert.deepEqual([await replicas('iris-green'), await replicas('iris')], [0, 1]);
    await servesOnly(node, ns, 'v2');
  });

  it('one rollout of an app at a time: a second deploy waits for the first, or fails clearly when it waits too long', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    const dir = await tempDir(t);
    const start = (args: string[]) =>
      startCli(t, dir, node.kubeconfig, [
        'deploy-rollout',
        '--app',
        'iris',
        '--namespace',
        ns,
        '--replicas',
        '1',
        ...args,
      ]);
    // The first holds the app for a while: a pod asking for a GPU this node lacks, until its deadline.
    const first = start([
      '--image',
      v1,
      '--gpus',
      '1',
      '--progress-deadline',
      '15s',
      '--report',
      'first.json',
    ]);
    await until(
      'the first deploy to hold the Lease',
      async () =>
        (
          await node.api.raw(
            'GET',
            `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/iris-modelship-rollout`,
          )
        ).status === 200
          ? true
          : undefined,
      60_000,
      () => first.stderr,
    );
    const impatient = start(['--image', v2, '--lock-timeout', '1s', '--report', 'impatient.json']);
    const patient = start(['--image', v2, '--report', 'patient.json']);

    assert.equal(await impatient.exited, 2, impatient.stderr);
    assert.match(
      impatient.stderr,
      /error: another rollout of iris is in progress \(held by .+ on .+ \(pid \d+\)\) and did not end within 1s\. Run the step again once it has finished, or raise lock-timeout\./,
    );
    assert.equal(await first.exited, 1, first.stderr);
    assert.equal(await patient.exited, 0, patient.stderr);
    assert.match(patient.stderr, /waiting for the rollout of iris held by/);
    const record = await releases(node, ns, 'iris');
    assert.deepEqual(
      record.map((r) => [r.revision, r.status, r.image]),
      [
        [2, 'promoted', v2],
        [1, 'aborted', v1],
      ],
      'the two rollouts did not interleave: the second began after the first ended',
    );
    const lease = await node.api.raw(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/iris-modelship-rollout`,
    );
    assert.equal(lease.status, 404, 'the Lease is released');
  });

  it('keeps its Lease through a renewal whose answer was lost, and leaves alone one another holder took', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const warnings: string[] = [];
    const log = { info() {}, notice() {}, debug() {}, progress() {}, warn: (m: string) => warnings.push(m) };
    const client = await connectKube(node.kubeconfig, { describe: 'kubeconfig', env: {} });
    const held = await acquireRollout(client, {
      namespace: ns,
      app: 'iris',
      holder: 'this run',
      waitMs: 1000,
      signal: AbortSignal.timeout(120_000),
      log,
      renewMs: 200,
    });
    const path = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/iris-modelship-rollout`;
    const read = () => node.api.call<KubeObject>('GET', path);
    // A merge patch bumps the Lease's version as a renewal that landed without its answer does:
    // the holder's copy is stale from then on.
    const patch = (spec: Record<string, unknown>) =>
      node.api.raw('PATCH', path, { spec }, 'application/merge-patch+json');
    const landed = JSON.parse((await patch({ renewTime: '2026-01-01T00:00:00.000000Z' })).body) as KubeObject;
    await until(
      'a renewal after the one whose answer was lost',
      async () => {
        const now = await read();
        return now.spec?.renewTime !== landed.spec?.renewTime && now.spec?.holderIdentity === 'this run'
          ? true
          : undefined;
      },
      30_000,
      () => warnings.join('\n'),
    );
    assert.deepEqual(warnings, [], 'the conflict was renewed through, not warned about');

    // Another holder took it (as after this runner stalled past the Lease's duration).
    await patch({ holderIdentity: 'another run' });
    await until('the warning', async () => (warnings.length > 0 ? true : undefined), 30_000);
    assert.match(
      warnings[0]!,
      /^lost the rollout lease of iris \(held by another run now\): another rollout of it may run beside this one$/,
    );
    await held.release();
    assert.equal((await read()).spec?.holderIdentity, 'another run', 'the other holder keeps its Lease');
    assert.equal(warnings.length, 1, warnings.join('\n'));
  });

  it('runs as the GitLab component (gitlab-ci-local): the job deploys, and a later job gets the outputs through needs', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const image = await serveImage(t, node, 'v1');
    const dir = await tempDir(t);
    await project(
      dir,
      including(
        'deploy-rollout',
        { as: 'deploy', stage: 'deploy', image, app: 'iris', namespace: ns },
        `
stages: [deploy, verify]

deploy:
  variables:
    MODELSHIP_INPUT_KUBECONFIG: ${JSON.stringify(node.kubeconfig)}

verify:
  stage: verify
  needs: [deploy]
  script:
    - echo "status=$DEPLOY_ROLLOUT_STATUS revision=$DEPLOY_ROLLOUT_REVISION"
`,
      ),
      [],
    );
    const r = await gcl(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /status=promoted revision=1/);
    const junit = await readFile(join(dir, 'modelship-reports', 'deploy-rollout.junit.xml'), 'utf8');
    assert.match(junit, /<testcase classname="deploy-rollout\.iris" name="rollout"/);
    await servesOnly(node, ns, 'v1');
  });

  it('rides out its API server stopped and started mid-rollout: the watches resume on the new process and the rollout still promotes', async (t) => {
    const node = await kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    const [v1, v2] = await Promise.all([serveImage(t, node, 'v1'), serveImage(t, node, 'v2')]);
    assert.equal((await deploy(t, node, { image: v1, app: 'iris', namespace: ns, replicas: '3' })).code, 0);
    // The step's own API server, a second one of the node's as an HA control plane runs: stopping
    // it leaves the node's controllers (and every other test) on the first.
    const dir = await tempDir(t);
    const apiserver = await extraApiServer(t, node, dir);
    const cli = startCli(t, dir, apiserver.kubeconfig, [
      'deploy-rollout',
      '--image',
      v2,
      '--app',
      'iris',
      '--namespace',
      ns,
      '--replicas',
      '3',
    ]);
    const { child, exited } = cli;
    // What a run of the API server served the step in its namespace. A watch is audited only
    // when it ends (its ResponseStarted too, in this version), so the list before it is the sign.
    const served = async (run: number, verb: string, resource: string) =>
      (await apiserver.audit(run)).some(
        (e) => e.verb === verb && e.objectRef?.namespace === ns && e.objectRef.resource === resource,
      );
    // Pods are listed only as the wait for them begins, to watch them from there: earlier calls
    // (the Lease, the versions running) retry a refused connection quietly, and this test is
    // about the wait.
    await until(
      'the step to list the new pods through its API server, to watch them',
      async () => ((await served(1, 'list', 'pods')) ? true : undefined),
      120_000,
      () => cli.stderr,
    );

    await apiserver.stop();
    assert.equal(child.exitCode, null, 'the API server went away while the step was waiting');
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await apiserver.start(), 2);

    assert.equal(await exited, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).status, 'promoted');
    assert.match(
      cli.stderr,
      /API server unreachable, reconnecting \(cannot reach the Kubernetes API server .* to watch /,
      'the wait saw its watches cut',
    );
    await until(
      'the watches the step made through the restarted API server, in its audit log',
      async () => ((await served(2, 'watch', 'pods')) ? true : undefined),
      60_000,
    );
    assert.equal(await deployedImage(node, ns, 'iris'), v2);
    const [latest] = await releases(node, ns, 'iris');
    assert.deepEqual(
      [latest!.revision, latest!.status, latest!.image, latest!.previousImage],
      [2, 'promoted', v2, v1],
    );
  });
});
