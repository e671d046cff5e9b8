/**
 * Kubernetes pod discovery for Debian's Prometheus, which is built without `kubernetes_sd_configs`
 * ("field kubernetes_sd_configs not found"): an HTTP service-discovery endpoint on 127.0.0.1 that
 * lists the pods of a namespace from the node's API server on every refresh and answers them as
 * Prometheus' own pod role would, with the same `__meta_kubernetes_*` labels, so the relabelling a
 * production config uses works unchanged. Prometheus reads it through `http_sd_configs`.
 *
 *   const sd = await startPodDiscovery(t, node.api, ns);
 *   startPrometheus(t, { targets: [], scrapeConfigs: [{ job_name: 'x', http_sd_configs: [sd.config], relabel_configs }] });
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { KubeApi } from './kube-api.ts';

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; uid: string };
  spec: {
    nodeName?: string;
    containers: { name: string; ports?: { containerPort: number; name?: string; protocol?: string }[] }[];
  };
  status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

export interface PodDiscovery {
  url: string;
  /** One entry of `http_sd_configs`. */
  config: { url: string; refresh_interval: string };
}

export async function startPodDiscovery(
  t: Pick<TestContext, 'after'>,
  api: KubeApi,
  namespace: string,
): Promise<PodDiscovery> {
  const server = createServer((_req, res) => {
    api
      .call<{ items: Pod[] }>('GET', `/api/v1/namespaces/${namespace}/pods`)
      .then((pods) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(pods.items.flatMap(targetGroups)));
      })
      .catch((e: Error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(e.message);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus asks again every second on a kept-alive connection: close() alone would wait on it forever.
        server.closeAllConnections();
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, config: { url, refresh_interval: '1s' } };
}

/** One target per declared container port, as the pod role makes them (ports-less containers omitted). */
function targetGroups(pod: Pod) {
  if (!pod.status.podIP || pod.status.phase !== 'Running') return [];
  const ready = pod.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const common: Record<string, string> = {
    __meta_kubernetes_namespace: pod.metadata.namespace,
    __meta_kubernetes_pod_name: pod.metadata.name,
    __meta_kubernetes_pod_ip: pod.status.podIP,
    __meta_kubernetes_pod_uid: pod.metadata.uid,
    __meta_kubernetes_pod_ready: String(ready),
    __meta_kubernetes_pod_phase: pod.status.phase,
    __meta_kubernetes_pod_node_name: pod.spec.nodeName ?? '',
  };
  for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
    const name = k.replace(/[^a-zA-Z0-9_]/g, '_');
    common[`__meta_kubernetes_pod_label_${name}`] = v;
    common[`__meta_kubernetes_pod_labelpresent_${name}`] = 'true';
  }
  return pod.spec.containers.flatMap((c) =>
    (c.ports ?? []).map((p) => ({
      targets: [`${pod.status.podIP}:${p.containerPort}`],
      labels: {
        ...common,
        __meta_kubernetes_pod_container_name: c.name,
        __meta_kubernetes_pod_container_port_number: String(p.containerPort),
        __meta_kubernetes_pod_container_port_name: p.name ?? '',
        __meta_kubernetes_pod_container_port_protocol: p.protocol ?? 'TCP',
      },
    })),
  );
}
