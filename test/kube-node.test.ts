/**
 * The test node itself (test/support/kube-node.ts): a pod of an image pushed to the local registry
 * really runs, a Service routes to it through kube-proxy from the host, kubectl works with the
 * node's kubeconfig, and teardown leaves nothing behind on the host.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { inferOnce, requestOnce } from './support/cluster-ip.ts';
import { until } from './support/kube-api.ts';
import { IRIS_ROW, serveImage } from './support/kube-deploy.ts';
import { staticBinary, staticImage } from './support/kube-images.ts';
import { type KubeNode, kubeNodeFixture } from './support/kube-node.ts';
import { startPodDiscovery } from './support/kube-sd.ts';
import { startPrometheus } from './support/prometheus.ts';
import { ROOT, tempDir } from './support/run.ts';

const sh = promisify(execFile);
const HELLO_C = join(ROOT, 'scripts/kube-node/hello-http.c');

describe('kube-node', { timeout: 45 * 60_000 }, () => {
  const kube = kubeNodeFixture();

  it('runs a pod pulled from the local registry and routes a Service to it through kube-proxy', async (t) => {
    const n = kube.use(t);
    if (!n) return;
    const ns = await n.namespace(t);
    const binary = await staticBinary(HELLO_C, await tempDir(t), 'hello-http');
    const image = await staticImage(
      n.registry,
      'smoke/hello',
      'v1',
      [{ path: 'hello-http', mode: 0o755, data: binary }],
      {
        entrypoint: ['/hello-http', '8080'],
        exposedPorts: [8080],
      },
    );
    await n.api.call(
      'POST',
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      deployment('hello', image, '/ready'),
    );
    const svc = await n.api.call<{ spec: { clusterIP: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/services`,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'hello' },
        spec: { selector: { app: 'hello' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    );
    const pod = await readyPod(n, ns, 'hello');
    assert.match(pod.status.podIP ?? '', /^10\.213\.0\./, 'the pod has an address on the node bridge');

    const answer = await until(
      `an answer through Service ${svc.spec.clusterIP}:80`,
      async () => {
        const r = await requestOnce({ host: svc.spec.clusterIP, path: '/', timeoutMs: 3000 });
        return r.status === 200 ? r.text : undefined;
      },
      30_000,
      () => n.logs('kube-proxy'),
    );
    assert.equal(answer, `hello from ${pod.metadata.name}\n`);

    // kubectl as a contributor runs it: logs go apiserver -> kubelet on the node IP.
    const kubectl = (...args: string[]) =>
      sh(join(n.bin, 'kubectl'), ['--kubeconfig', n.kubeconfig, '-n', ns, ...args]);
    assert.match((await kubectl('get', 'nodes', '-o', 'name')).stdout, /node\/modelship-node/);
    assert.match((await kubectl('logs', pod.metadata.name)).stdout, /GET \/ HTTP\/1\.1/);
  });

  it('serves the example model from a build-image serve image, through a Service, scraped by Prometheus via Kubernetes discovery', async (t) => {
    const n = kube.use(t);
    if (!n) return;
    const ns = await n.namespace(t);
    // build-image (the CLI) on the Node 24 base image, pushed to the node's registry.
    const image = await serveImage(t, n, 'v1');
    await n.api.call(
      'POST',
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      deployment('iris', image, '/v2/health/ready'),
    );
    const svc = await n.api.call<{ spec: { clusterIP: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/services`,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'iris' },
        spec: { selector: { app: 'iris' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    );
    await readyPod(n, ns, 'iris');

    const requests = 5;
    const proxyLogs = () => n.logs('kube-proxy');
    for (let i = 0; i < requests; i++) {
      const answer = await until(
        'an inference answer through the Service',
        () => inferOnce(svc.spec.clusterIP, IRIS_ROW, { timeoutMs: 10_000 }),
        30_000,
        proxyLogs,
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(
        Array.isArray(answer.body.outputs) && answer.body.outputs.length > 0,
        JSON.stringify(answer.body),
      );
    }

    // Debian's Prometheus has no kubernetes_sd_configs; kube-sd.ts lists the pods as it would.
    const sd = await startPodDiscovery(t, n.api, ns);
    const prom = await startPrometheus(t, {
      targets: [],
      scrapeConfigs: [
        {
          job_name: 'kube-serve',
          http_sd_configs: [sd.config],
          relabel_configs: [
            { source_labels: ['__meta_kubernetes_pod_label_app'], regex: 'iris', action: 'keep' },
            { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
          ],
        },
      ],
    });
    const counted = await prom.waitFor(
      'sum(modelship_requests_total{job="kube-serve"})',
      (r) => (r[0]?.value ?? 0) >= requests,
      60_000,
    );
    assert.ok(counted[0]!.value >= requests);
    const up = await prom.query('up{job="kube-serve"}');
    assert.equal(up.length, 1, 'one pod discovered through the API server');
    assert.match(up[0]!.metric.instance ?? '', /^10\.213\.0\.\d+:8080$/);
  });
});

/** The first pod of `app` whose Ready condition is true; on time-out, the pods and the kubelet's log. */
function readyPod(n: KubeNode, ns: string, app: string) {
  return until(
    `a ready ${app} pod`,
    async () => {
      const pods = await n.api.call<PodList>(
        'GET',
        `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`,
      );
      return pods.items.find((p) =>
        p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    },
    180_000,
    async () =>
      `${JSON.stringify(await n.api.call('GET', `/api/v1/namespaces/${ns}/pods`), null, 1)}\n${n.logs('kubelet')}`,
  );
}

/** One pod of `image` behind the label app=<name>, ready when `readyPath` answers on 8080. */
function deployment(name: string, image: string, readyPath: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              name,
              image,
              ports: [{ containerPort: 8080, name: 'http' }],
              readinessProbe: { httpGet: { path: readyPath, port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

interface PodList {
  items: {
    metadata: { name: string };
    status: { podIP?: string; conditions?: { type: string; status: string }[] };
  }[];
}
