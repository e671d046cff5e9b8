/**
 * The signals modelship serve exports and monitor-gate asks Prometheus for: one list of metric
 * and label names, so the server that writes a series and the query that reads it cannot drift
 * apart. The names are a public contract (dashboards and alerts use them): never rename one.
 */

/** Label names; every serve metric carries `model` and `version`, so a baseline and a canary stay apart. */
export const SERVE_LABELS = {
  model: 'model',
  version: 'version',
  /** The HTTP status answered, as text: "200", "400", "503". */
  status: 'status',
  /** A predicted class: the label output's value, or the argmax index of the probabilities. */
  class: 'class',
} as const;

export type ServeLabel = (typeof SERVE_LABELS)[keyof typeof SERVE_LABELS];

export interface Signal<L extends ServeLabel = ServeLabel> {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labels: readonly L[];
}

const { model, version, status, class: klass } = SERVE_LABELS;

/** Most signals are per model version; the histograms all are. */
const perVersion = (name: string, type: Signal['type'], help: string): Signal => ({
  name,
  type,
  help,
  labels: [model, version],
});

export const SERVE_METRICS = {
  requests: {
    name: 'modelship_requests_total',
    type: 'counter',
    help: 'Inference requests by HTTP status.',
    labels: [model, version, status],
  },
  requestDuration: perVersion(
    'modelship_request_duration_seconds',
    'histogram',
    'Time from receiving an inference request to sending its response.',
  ),
  inferenceDuration: perVersion(
    'modelship_inference_duration_seconds',
    'histogram',
    'Time of one onnxruntime run (one request, or one dynamic batch).',
  ),
  inflight: perVersion(
    'modelship_inflight_requests',
    'gauge',
    'Inference requests received and not yet answered.',
  ),
  batchRows: perVersion('modelship_batch_rows', 'histogram', 'Rows per onnxruntime run.'),
  predictions: {
    name: 'modelship_predictions_total',
    type: 'counter',
    help: 'Predicted classes (classifiers only), for drift and canary comparison.',
    labels: [model, version, klass],
  },
} as const satisfies Record<string, Signal>;

/** The series a classic histogram is scraped as, and the label of its buckets' upper bounds. */
export const histogramSeries = (name: string) => ({
  bucket: `${name}_bucket`,
  count: `${name}_count`,
  sum: `${name}_sum`,
  le: 'le',
});

/** Distinct classes counted by name; the rest share the class `other`, so a bad model cannot explode the series. */
export const MAX_CLASSES = 100;
export const OTHER_CLASS = 'other';

/** Process metrics every serve exports (prom-client's defaults), for a judge that compares resources too. */
export const PROCESS_METRICS = {
  residentMemory: 'process_resident_memory_bytes',
  cpuSeconds: 'process_cpu_seconds_total',
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
} as const;
