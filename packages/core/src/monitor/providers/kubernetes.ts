/**
 * The `kubernetes` provider: no Prometheus needed. Each measurement scrapes `/metrics` of every
 * running pod of the app through the API server's pod proxy (the same kubeconfig as the deploy),
 * and the built-in metrics are computed from what the counters and histograms of a version (serve's
 * `version` label, as the prometheus provider's queries select it) gained since the previous
 * scrape, summed over the pods: rates as Prometheus' increase() over the interval, quantiles by
 * histogram_quantile's interpolation. A counter that went down (the pod restarted) counts from
 * zero, as Prometheus does. Custom PromQL metrics are refused at check time.
 */
import type { Kube } from '../../kube/client.ts';
import { KubeError } from '../../kube/errors.ts';
import type { KubeObject, ObjectMeta } from '../../kube/types.ts';
import type { BuiltinName } from '../builtins.ts';
import { histogramSeries, SERVE_LABELS, SERVE_METRICS } from '../signals.ts';
import { ExpositionError, parseExposition, type ScrapedSample } from './exposition.ts';
import { finite, MeasurementError, type Observation, type Provider, type Reading } from './provider.ts';
import { histogramQuantile } from './quantile.ts';

export interface KubernetesTarget {
  kube: Kube;
  namespace: string;
  /** The port modelship serve listens on in the pod. */
  port: number;
  /** The label selector of the app's pods, every version's. */
  selector: string;
}

/** What the pods of one version gained over the last interval. */
interface Delta {
  gained: Map<string, { name: string; labels: Record<string, string>; value: number }>;
  seconds: number;
}

type Scrape = Map<string, number>;
interface Snapshot {
  at: number;
  pods: Map<string, Scrape>;
}

export function kubernetesProvider(t: KubernetesTarget): Provider {
  let last: Snapshot | undefined;
  let delta: { before: Snapshot; now: Snapshot } | Error | undefined;
  let requests = 0;

  /** Every running pod of the app; a version is told apart by serve's own `version` label. */
  async function scrape(): Promise<Snapshot> {
    const pods = await t.kube.list<PodState>('v1', 'Pod', t.namespace, {
      labels: t.selector,
      fields: 'status.phase=Running',
    });
    requests++;
    const at = Date.now();
    const scraped = new Map<string, Scrape>();
    await Promise.all(
      pods.items.filter(serving).map(async (p) => {
        requests++;
        const text = await t.kube.proxyGet(t.namespace, p.metadata.name, t.port, 'metrics');
        scraped.set(p.metadata.name, indexed(parseExposition(text)));
      }),
    );
    return { at, pods: scraped };
  }

  /** A failed scrape is this measurement's error, and the next one starts afresh from the one after. */
  async function next(): Promise<Snapshot | Error> {
    try {
      return await scrape();
    } catch (e) {
      if (!(e instanceof KubeError) && !(e instanceof ExpositionError)) throw e;
      return new MeasurementError(`cannot scrape the pods of ${t.selector}: ${e.message}`);
    }
  }

  return {
    get requests() {
      return requests;
    },
    async begin() {
      const now = await next();
      last = now instanceof Error ? undefined : now;
    },
    async tick() {
      const now = await next();
      delta = now instanceof Error ? now : last ? { before: last, now } : undefined;
      last = now instanceof Error ? undefined : now;
    },
    async read(metric, vars): Promise<Reading> {
      if (delta instanceof Error) throw delta;
      if (!delta) throw new MeasurementError('no earlier scrape to measure from (the one before failed)');
      if (!metric.builtin)
        throw new MeasurementError(
          `metric ${metric.name} is PromQL; the kubernetes provider computes built-ins only`,
        );
      const d = deltaOf(delta.before, delta.now, vars.version);
      // No requests: nothing to compute a rate or quantile from, which the no-data rule judges.
      if (requestsOf(d) === 0) return { samples: 0 };
      return KUBE_BUILTINS[metric.builtin](d);
    },
  };
}

export interface PodState extends KubeObject {
  metadata: ObjectMeta & { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * A pod that takes traffic: ready and not being deleted. A pod on its way out (scaled down as the
 * canary grows) still says Running for a while, but its address may already be gone.
 */
export const serving = (p: PodState) =>
  !p.metadata.deletionTimestamp &&
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Each sample keyed by its name and labels, so two scrapes of one pod line up. */
function indexed(samples: ScrapedSample[]): Scrape {
  const out: Scrape = new Map();
  for (const s of samples) out.set(keyOf(s.name, s.labels), s.value);
  return out;
}

const keyOf = (name: string, labels: Record<string, string>) =>
  `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

function deltaOf(before: Snapshot, now: Snapshot, version: string): Delta {
  const gained: Delta['gained'] = new Map();
  for (const [pod, samples] of now.pods) {
    const prev = before.pods.get(pod);
    for (const [key, value] of samples) {
      const [name, labels] = splitKey(key);
      if (labels[SERVE_LABELS.version] !== version) continue;
      const was = prev?.get(key);
      // A pod or series new since the last scrape, or a counter reset: everything it counted is new.
      const inc = was === undefined || value < was ? value : value - was;
      const g = gained.get(key);
      if (g) g.value += inc;
      else gained.set(key, { name, labels, value: inc });
    }
  }
  return { gained, seconds: (now.at - before.at) / 1000 };
}

function splitKey(key: string): [string, Record<string, string>] {
  const i = key.indexOf('[');
  return [key.slice(0, i), Object.fromEntries(JSON.parse(key.slice(i)) as [string, string][])];
}

/** Sum of what the samples named `name` gained, optionally only those whose labels pass `keep`. */
function sum(d: Delta, name: string, keep: (l: Record<string, string>) => boolean = () => true): number {
  let total = 0;
  for (const g of d.gained.values()) if (g.name === name && keep(g.labels)) total += g.value;
  return total;
}

const requestsOf = (d: Delta) => sum(d, SERVE_METRICS.requests.name);
const value = (v: number): Observation => ({ kind: 'value', value: finite(v, 'the value') });

function quantile(q: number) {
  return (d: Delta): Reading => {
    const { bucket, le } = histogramSeries(SERVE_METRICS.requestDuration.name);
    const byLe = new Map<number, number>();
    for (const g of d.gained.values())
      if (g.name === bucket) {
        const bound = g.labels[le] === '+Inf' ? Number.POSITIVE_INFINITY : Number(g.labels[le]);
        byLe.set(bound, (byLe.get(bound) ?? 0) + g.value);
      }
    const buckets = [...byLe].map(([bound, count]) => ({ le: bound, count }));
    return { observation: value(histogramQuantile(q, buckets)), samples: requestsOf(d) };
  };
}

const KUBE_BUILTINS: Record<BuiltinName, (d: Delta) => Reading> = {
  'error-rate': (d) => {
    const all = requestsOf(d);
    const errors = sum(d, SERVE_METRICS.requests.name, (l) => /^5\d\d$/.test(l.status ?? ''));
    return { observation: value(errors / all), samples: all };
  },
  'latency-p95': quantile(0.95),
  'latency-p99': quantile(0.99),
  throughput: (d) => ({ observation: value(requestsOf(d) / d.seconds), samples: requestsOf(d) }),
  'prediction-shift': (d) => {
    const counts: Record<string, number> = {};
    for (const g of d.gained.values())
      if (g.name === SERVE_METRICS.predictions.name) {
        const c = g.labels.class ?? 'unknown';
        counts[c] = (counts[c] ?? 0) + g.value;
      }
    return { observation: { kind: 'distribution', counts }, samples: requestsOf(d) };
  },
};
