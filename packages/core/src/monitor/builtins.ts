/**
 * The metrics every modelship serve answers, built in so a user writes none of them: the PromQL
 * for the `prometheus` provider (the kubernetes provider computes the same from scrapes, see
 * providers/kubernetes.ts), each from monitor/signals.ts names, and a default condition.
 * Series are selected by the `namespace` label (Prometheus' Kubernetes discovery relabelled, as
 * every common setup does) and serve's own `version` label.
 */
import { histogramSeries, SERVE_LABELS, SERVE_METRICS } from './signals.ts';

export const BUILTIN_NAMES = [
  'error-rate',
  'latency-p95',
  'latency-p99',
  'throughput',
  'prediction-shift',
] as const;
export type BuiltinName = (typeof BUILTIN_NAMES)[number];

export const isBuiltin = (s: string): s is BuiltinName => (BUILTIN_NAMES as readonly string[]).includes(s);

export interface BuiltinMetric {
  description: string;
  query: string;
  /** Requests in the window: what min-samples counts. */
  samples: string;
  shape: 'value' | 'distribution';
  success?: string;
  failure?: string;
  direction: 'increase' | 'decrease' | 'either';
  /** Part of `judge: compare` (throughput follows the traffic split, so it is not). */
  compare: boolean;
}

const SELECTOR = `namespace="{{namespace}}",${SERVE_LABELS.version}="{{version}}"`;
const REQUESTS = SERVE_METRICS.requests.name;
const increase = (name: string, extra = '') => `increase(${name}{${SELECTOR}${extra}}[{{interval}}])`;
const SAMPLES = `sum(${increase(REQUESTS)})`;

const quantile = (q: number) =>
  `histogram_quantile(${q}, sum by (le) (rate(${histogramSeries(SERVE_METRICS.requestDuration.name).bucket}{${SELECTOR}}[{{interval}}])))`;

export const BUILTINS: Record<BuiltinName, BuiltinMetric> = {
  'error-rate': {
    description: 'Share of inference requests answered with a 5xx status.',
    // No 5xx series at all is a rate of zero, not a missing measurement.
    query: `(sum(${increase(REQUESTS, `,${SERVE_LABELS.status}=~"5.."`)}) or vector(0)) / ${SAMPLES}`,
    samples: SAMPLES,
    shape: 'value',
    success: 'result <= 0.05',
    direction: 'increase',
    compare: true,
  },
  'latency-p95': {
    description: '95th percentile of request latency, seconds (from the request histogram).',
    query: quantile(0.95),
    samples: SAMPLES,
    shape: 'value',
    success: 'result <= 0.5',
    direction: 'increase',
    compare: true,
  },
  'latency-p99': {
    description: '99th percentile of request latency, seconds.',
    query: quantile(0.99),
    samples: SAMPLES,
    shape: 'value',
    success: 'result <= 1',
    direction: 'increase',
    compare: true,
  },
  throughput: {
    description: 'Inference requests per second.',
    query: `sum(rate(${REQUESTS}{${SELECTOR}}[{{interval}}]))`,
    samples: SAMPLES,
    shape: 'value',
    direction: 'decrease',
    compare: false,
  },
  'prediction-shift': {
    description:
      "The canary's predicted classes against the stable's over the interval: `result` is the Jensen–Shannon distance, `p_value` the chi-square test's, and `shift` the distance where the test finds the difference significant (p < 0.001), else 0: a few requests' noise never fails it, a real shift of any size fails at once.",
    query: `sum by (${SERVE_LABELS.class}) (${increase(SERVE_METRICS.predictions.name)})`,
    samples: SAMPLES,
    shape: 'distribution',
    failure: 'shift > 0.1',
    direction: 'increase',
    compare: false,
  },
};
