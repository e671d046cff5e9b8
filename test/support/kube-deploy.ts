/**
 * What the deploy-rollout tests need around the test node: serve images of the example model built
 * with build-image and pushed to the node's registry (one per tag, built once per test file), a
 * kubeconfig whose token belongs to a ServiceAccount with only the rules a test grants, and an
 * inference request through a Service's cluster IP.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import type { Release } from '../../packages/core/src/kube/release.ts';
import { inferOnce } from './cluster-ip.ts';
import { until } from './kube-api.ts';
import { pushNodeBaseImage } from './kube-base-image.ts';
import type { KubeNode } from './kube-node.ts';
import { CLI, cleanEnv, NODE, ROOT, run, tempDir } from './run.ts';

const MODEL = join(ROOT, 'examples/models/challenger.onnx');
const built = new Map<string, Promise<string>>();
let base: Promise<string> | undefined;

/** `registry/acme/iris@sha256:…` of the example model's (or `model`'s) serve image, its version set to `tag`. */
export function serveImage(t: TestContext, node: KubeNode, tag: string, model = MODEL): Promise<string> {
  const key = `${node.registry} ${tag} ${model}`;
  let image = built.get(key);
  if (!image) {
    image = (async () => {
      base ??= pushNodeBaseImage(node.registry);
      const dir = await tempDir(t);
      const r = await run(
        NODE,
        [
          CLI,
          'build-image',
          '--model',
          model,
          '--name',
          `${node.registry}/acme/iris`,
          '--tags',
          tag,
          '--push',
          'true',
          '--base-image',
          await base,
        ],
        { cwd: dir, env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' }) },
      );
      if (r.code !== 0) throw new Error(`build-image failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { image: string }).image;
    })();
    built.set(key, image);
  }
  return image;
}

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * A kubeconfig's content for ServiceAccount `name` in `ns`, bound to a Role with `rules` alone
 * (Kubernetes 1.20 still gives every ServiceAccount a token Secret).
 */
export async function narrowKubeconfig(
  node: KubeNode,
  ns: string,
  name: string,
  rules: Rule[],
): Promise<string> {
  const api = node.api;
  await api.call('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name } });
  await api.call('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    metadata: { name },
    rules,
  });
  await api.call('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  });
  const token = await until(
    `a token for ServiceAccount ${name}`,
    async () => {
      const sa = await api.call<{ secrets?: { name: string }[] }>(
        'GET',
        `/api/v1/namespaces/${ns}/serviceaccounts/${name}`,
      );
      const secret = sa.secrets?.[0]?.name;
      if (!secret) return undefined;
      const s = await api.call<{ data?: { token?: string } }>(
        'GET',
        `/api/v1/namespaces/${ns}/secrets/${secret}`,
      );
      return s.data?.token ? Buffer.from(s.data.token, 'base64').toString() : undefined;
    },
    30_000,
  );
  const ca = (await readFile(node.ca)).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: node\n  cluster:\n    server: ${node.server}\n    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${name}\n  user:\n    token: ${token}`,
    'contexts:',
    `- name: ${name}\n  context:\n    cluster: node\n    user: ${name}\n    namespace: ${ns}`,
    `current-context: ${name}`,
    '',
  ].join('\n');
}

/** One row of the example iris model's input, as an inference request. */
export const IRIS_ROW = {
  inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
};

/** An inference answer from the app's Service, retried while kube-proxy catches up with new endpoints. */
export async function inferThroughService(node: KubeNode, ns: string, app: string) {
  const svc = await node.api.call<{ spec: { clusterIP: string } }>(
    'GET',
    `/api/v1/namespaces/${ns}/services/${app}`,
  );
  return until(
    `an inference answer through Service ${app}`,
    async () => {
      const r = await inferOnce(svc.spec.clusterIP, IRIS_ROW).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    },
    30_000,
  );
}

/**
 * The model version that answers one inference request on a connection of its own: kube-proxy
 * picks an endpoint per connection, so a kept-alive connection would ask the same pod every time.
 */
export async function versionAnswering(ip: string): Promise<string> {
  return String((await inferOnce(ip, IRIS_ROW)).body.model_version);
}

/**
 * The CLI started in `cwd` with `kubeconfig` (in the environment, never on the command line), for a
 * test that acts while it runs: its output so far, and its exit code. Killed when the test ends.
 */
export function startCli(
  t: TestContext,
  cwd: string,
  kubeconfig: string,
  args: string[],
  env: Record<string, string> = {},
) {
  const child = spawn(NODE, [CLI, ...args], {
    cwd,
    env: cleanEnv({ MODELSHIP_INPUT_KUBECONFIG: kubeconfig, ...env }),
  });
  t.after(() => child.kill('SIGKILL'));
  const cli = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise<number | null>((resolve) => child.on('close', resolve)),
  };
  child.stdout.on('data', (d) => (cli.stdout += d));
  child.stderr.on('data', (d) => (cli.stderr += d));
  return cli;
}

export interface StepRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The step's outputs (its JSON on stdout), when it ran to a verdict. */
  out: Record<string, string>;
  /** Its JSON report, when it wrote one. */
  report: Record<string, unknown> & { release?: Release; api?: { requests: number } };
}

/**
 * The CLI's `step` with `flags` in a folder of its own. The kubeconfig travels in the environment,
 * as a CI secret variable would, never on the command line.
 */
export async function runStep(
  t: TestContext,
  node: KubeNode,
  step: string,
  flags: Record<string, string>,
  options: { kubeconfig?: string; env?: Record<string, string> } = {},
): Promise<StepRun> {
  const dir = await tempDir(t);
  const args = Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]);
  const r = await run(NODE, [CLI, step, ...args], {
    cwd: dir,
    env: cleanEnv({ MODELSHIP_INPUT_KUBECONFIG: options.kubeconfig ?? node.kubeconfig, ...options.env }),
  });
  // A step that ran to a verdict prints its outputs as JSON (whatever its exit code); `history` prints text.
  const out =
    step !== 'history' && r.stdout.trim().startsWith('{')
      ? (JSON.parse(r.stdout) as Record<string, string>)
      : {};
  const report = out.report ? JSON.parse(await readFile(resolve(dir, out.report), 'utf8')) : {};
  return { ...r, out, report };
}

export type Deployed = StepRun & { report: { api: { requests: number }; release: Release } };

/** deploy-rollout through the CLI, with a 3-minute progress deadline unless `flags` set one. */
export const deployRollout = (
  t: TestContext,
  node: KubeNode,
  flags: Record<string, string>,
  kubeconfig = node.kubeconfig,
) =>
  runStep(
    t,
    node,
    'deploy-rollout',
    { 'progress-deadline': '3m', ...flags },
    { kubeconfig },
  ) as Promise<Deployed>;

/** The app's release record, newest first. */
export async function releases(node: KubeNode, ns: string, app: string): Promise<Release[]> {
  const cm = await node.api.call<{ data: Record<string, string> }>(
    'GET',
    `/api/v1/namespaces/${ns}/configmaps/${app}-modelship-releases`,
  );
  return JSON.parse(cm.data['releases.json']!) as Release[];
}

export interface DeploymentJson {
  metadata: { annotations: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}

export const deployment = (node: KubeNode, ns: string, name: string) =>
  node.api.call<DeploymentJson>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`);

/** The image a Deployment's pods run. */
export const deployedImage = async (node: KubeNode, ns: string, name: string) =>
  (await deployment(node, ns, name)).spec.template.spec.containers[0]!.image;

/**
 * The app's Service answers with `version` alone: ten answers in a row, each on a new connection.
 * Polled, because kube-proxy reprograms a Service's endpoints a moment after the API server changed them.
 */
export async function servesOnly(node: KubeNode, ns: string, version: string, app = 'iris') {
  const svc = await node.api.call<{ spec: { clusterIP: string } }>(
    'GET',
    `/api/v1/namespaces/${ns}/services/${app}`,
  );
  await until(
    `Service ${app} to answer with ${version} alone`,
    async () => {
      for (let i = 0; i < 10; i++)
        if ((await versionAnswering(svc.spec.clusterIP).catch(() => '')) !== version) return undefined;
      return true;
    },
    90_000,
  );
}
