/**
 * The `prometheus` provider: each metric's PromQL, its `{{variables}}` filled in, as an instant
 * query at the moment of the measurement, so every metric of one measurement sees the same time.
 * A value metric must give exactly one finite number; a distribution metric one series per value
 * of its label.
 */
import type { MetricDefinition } from '../metrics-file.ts';
import type { PrometheusApi, Series } from './prometheus-api.ts';
import {
  finite,
  MeasurementError,
  type Observation,
  type Provider,
  type Reading,
  render,
  type Variables,
} from './provider.ts';

export function prometheusProvider(api: PrometheusApi): Provider {
  let at = Date.now() / 1000;
  // The built-ins share one samples query: asked once per version and measurement.
  let counts = new Map<string, Promise<Series[]>>();
  const counted = (query: string, signal: AbortSignal) => {
    const got = counts.get(query) ?? api.query(query, signal, at);
    counts.set(query, got);
    return got;
  };
  return {
    get requests() {
      return api.requests;
    },
    async begin() {},
    async tick() {
      at = Date.now() / 1000;
      counts = new Map();
    },
    async read(metric, vars, signal): Promise<Reading> {
      if (!metric.query) throw new MeasurementError(`metric ${metric.name} has no query for Prometheus`);
      // Counted first: a version without traffic has no rate to read, and that is no data, not an error.
      let samples: number | undefined;
      if (metric.samples) {
        const series = await counted(render(metric.samples, vars), signal);
        samples = series.length === 0 ? 0 : one(series, `the samples query of ${metric.name}`);
        if (samples === 0) return { samples };
      }
      const query = render(metric.query, vars);
      const observation = observe(metric, await api.query(query, signal, at), query);
      return samples === undefined ? { observation } : { observation, samples };
    },
  };
}

function observe(metric: MetricDefinition, series: Series[], query: string): Observation {
  if (metric.shape === 'value') return { kind: 'value', value: one(series, `'${query}'`) };
  const by = metric.by ?? 'class';
  const counts: Record<string, number> = {};
  for (const s of series) {
    const key = s.metric[by];
    if (key === undefined)
      throw new MeasurementError(
        `'${query}' gave a series without the label '${by}': aggregate it by (${by})`,
      );
    counts[key] = finite(s.value, `the count of ${by}="${key}"`);
  }
  return { kind: 'distribution', counts };
}

function one(series: Series[], what: string): number {
  if (series.length === 0)
    throw new MeasurementError(
      `${what} returned no series: check the labels it selects, or that the version has traffic`,
    );
  if (series.length > 1) {
    const shown = series
      .slice(0, 3)
      .map((s) => labelsOf(s.metric))
      .join(', ');
    throw new MeasurementError(
      `${what} returned ${series.length} series where one was expected (${shown}${series.length > 3 ? ', …' : ''}): aggregate it, e.g. with sum()`,
    );
  }
  return finite(series[0]!.value, what);
}

const labelsOf = (m: Record<string, string>) =>
  `{${Object.entries(m)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

export type { Variables };
