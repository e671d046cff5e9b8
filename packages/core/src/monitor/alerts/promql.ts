/**
 * The PromQL both the alert rules and the dashboard are built from, on serve's own metric names
 * (signals.ts): one expression per signal, so an alert and the panel a person opens when it fires
 * show the same number.
 */
import { histogramSeries, SERVE_LABELS, SERVE_METRICS } from '../signals.ts';

/** Which series belong to one deployed model: the labels the scrape config puts on them. */
export interface Scope {
  /** The app (the `app.kubernetes.io/name` of its pods). */
  app: string;
  namespace: string;
  /** Only this model's series (serve's `model` label); default: every model the app serves. */
  model?: string | undefined;
  /**
   * The label names the scrape config gives the app and namespace; default `app` and `namespace`
   * (a pod scrape relabelling `__meta_kubernetes_pod_label_app_kubernetes_io_name` to `app`).
   */
  labels?: { app?: string | undefined; namespace?: string | undefined } | undefined;
}

/** One label matcher: `[name, op, value]`, e.g. `['status', '=~', '5..']`. */
export type Matcher = readonly [string, '=' | '!=' | '=~' | '!~', string];

const { version, status, class: klass, model } = SERVE_LABELS;
export const VERSION_LABEL = version;
export const CLASS_LABEL = klass;

export const scopeLabels = (scope: Scope) => ({
  app: scope.labels?.app ?? 'app',
  namespace: scope.labels?.namespace ?? 'namespace',
});

/** `{app="iris",namespace="prod",…}`; values quoted as PromQL strings. */
export function selector(scope: Scope, extra: readonly Matcher[] = []): string {
  const names = scopeLabels(scope);
  const matchers: Matcher[] = [
    [names.app, '=', scope.app],
    [names.namespace, '=', scope.namespace],
    ...(scope.model === undefined ? [] : [[model, '=', scope.model] as const]),
    ...extra,
  ];
  return `{${matchers.map(([n, op, v]) => `${n}${op}${JSON.stringify(v)}`).join(',')}}`;
}

const requests = SERVE_METRICS.requests.name;
const predictions = SERVE_METRICS.predictions.name;
const durationBuckets = histogramSeries(SERVE_METRICS.requestDuration.name);

/** Requests per second, per version. */
export const requestRate = (sel: string, window: string) =>
  `sum by (${version}) (rate(${requests}${sel}[${window}]))`;

/** Any request series at all of the scope, per version: how "is it serving" is read. */
export const requestSeries = (sel: string) => `${requests}${sel}`;

/** The share of requests answered 5xx, per version (NaN, so never above a threshold, without traffic). */
export const errorShare = (scope: Scope, window: string, extra: readonly Matcher[] = []) =>
  `${requestRate(selector(scope, [...extra, [status, '=~', '5..']]), window)}\n  /\n${requestRate(selector(scope, extra), window)}`;

/** A quantile of the request duration in seconds, per version, from the histogram's buckets. */
export const latencyQuantile = (q: number, sel: string, window: string) =>
  `histogram_quantile(${q}, sum by (${version}, ${durationBuckets.le}) (rate(${durationBuckets.bucket}${sel}[${window}])))`;

/** Predictions per second, per version and class. */
export const predictionRate = (sel: string, window: string) =>
  `sum by (${version}, ${klass}) (rate(${predictions}${sel}[${window}]))`;

/** Each class's share of a version's predictions over `window`. */
export const classShare = (sel: string, window: string) =>
  `${predictionRate(sel, window)}\n  / ignoring (${klass}) group_left ()\nsum by (${version}) (rate(${predictions}${sel}[${window}]))`;

/** Each class's share of all the app's predictions (every version together) over `window`. */
export const baselineClassShare = (sel: string, window: string) =>
  `sum by (${klass}) (increase(${predictions}${sel}[${window}]))\n  / ignoring (${klass}) group_left ()\nsum (increase(${predictions}${sel}[${window}]))`;

/** The series that exist while a serve pod is up and scraped (its in-flight gauge is always exported). */
export const liveSeries = (sel: string) => `${SERVE_METRICS.inflight.name}${sel}`;
