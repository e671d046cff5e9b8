/** The providers, by the name the `provider` input uses; the step refuses any other before it runs. */
import type { Kube } from '../../kube/client.ts';
import { kubernetesProvider } from './kubernetes.ts';
import { prometheusProvider } from './prometheus.ts';
import { PrometheusApi, type PrometheusConnection } from './prometheus-api.ts';
import type { Provider } from './provider.ts';

export interface ProviderContext {
  namespace: string;
  /** kubernetes: the pods' metrics port and the label selector of the app's pods. */
  metricsPort: number;
  selector: string;
  kube: () => Promise<Kube>;
  /** prometheus: where and how. */
  prometheus?: PrometheusConnection;
}

export const PROVIDER_KINDS = {
  kubernetes: async (c: ProviderContext) =>
    kubernetesProvider({
      kube: await c.kube(),
      namespace: c.namespace,
      port: c.metricsPort,
      selector: c.selector,
    }),
  prometheus: async (c: ProviderContext) => {
    if (!c.prometheus)
      throw new Error('provider prometheus without a connection: check.ts lets none through');
    return prometheusProvider(new PrometheusApi(c.prometheus));
  },
} satisfies Record<string, (c: ProviderContext) => Promise<Provider>>;

export type ProviderKind = keyof typeof PROVIDER_KINDS;

export const isProviderKind = (s: string): s is ProviderKind => Object.hasOwn(PROVIDER_KINDS, s);
