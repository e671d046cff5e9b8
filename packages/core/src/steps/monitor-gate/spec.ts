import { BUILTIN_NAMES } from '../../monitor/builtins.ts';
import { kubeconfigInput } from '../kube-inputs.ts';
import { defineStep, type InputsOf, input } from '../spec.ts';

export const PROVIDERS = ['kubernetes', 'prometheus'] as const;

/**
 * The analysis settings: monitor-gate's own inputs, and deploy-rollout's `analysis-*` inputs
 * (the same fields, prefixed, see analysisInputs), so both say and check the same thing.
 */
export const ANALYSIS_INPUTS = {
  provider: input.choice(PROVIDERS, {
    description:
      "Where metrics come from. `kubernetes`: the pods' own `/metrics`, scraped through the API server with the kubeconfig (no Prometheus needed; built-in metrics only). `prometheus`: PromQL against `prometheus-url`.",
    default: 'kubernetes',
  }),
  'prometheus-url': input.string({
    description: "provider prometheus: the server's base URL (its HTTP API is under `/api/v1`).",
    example: 'http://prometheus.monitoring:9090',
  }),
  token: input.string({
    description:
      'provider prometheus: a bearer token, or `user:password` for basic auth. Masked, never logged or written to a report.',
    secret: true,
    example: 'a token from a secret',
  }),
  'prometheus-ca': input.string({
    description:
      'provider prometheus: CA certificates (PEM) to trust for an https Prometheus with a private CA: a file, or its content.',
    example: 'ci/prometheus-ca.pem',
  }),
  'query-timeout': input.string({
    description: 'provider prometheus: how long one query may take before the measurement is an error.',
    default: '10s',
    expects: 'a duration such as 5s or 30s',
  }),
  metrics: input.list({
    description: `What to measure: built-in metrics (${BUILTIN_NAMES.join(', ')}) and/or metrics files (\`.yml\`: PromQL templates with success/failure conditions). prediction-shift needs a stable version to compare with.`,
    default: 'error-rate, latency-p95, prediction-shift',
    example: 'error-rate, latency-p99, ci/metrics.yml',
  }),
  'metrics-port': input.number({
    description: 'provider kubernetes: the port the model server serves `/metrics` on in the pod.',
    default: '8080',
    integer: true,
    min: 1,
    max: 65535,
  }),
  interval: input.string({
    description:
      'Time between measurements; each measures the interval that just ended (and is the `{{interval}}` of queries).',
    default: '1m',
    expects: 'a duration such as 30s or 1m',
  }),
  count: input.number({
    description: 'Measurements to make; the analysis passes when all of them do (within the limits).',
    default: '5',
    integer: true,
    min: 1,
    max: 1000,
  }),
  'initial-delay': input.string({
    description: 'Wait this long before the first interval starts (e.g. for caches to warm up).',
    default: '0s',
    expects: 'a duration such as 0s or 2m',
  }),
  'failure-limit': input.number({
    description: 'A metric fails when its failed measurements exceed this (0: the first failure fails it).',
    default: '0',
    integer: true,
    min: 0,
  }),
  'inconclusive-limit': input.number({
    description: 'A metric is inconclusive when its inconclusive measurements exceed this.',
    default: '0',
    integer: true,
    min: 0,
  }),
  'consecutive-error-limit': input.number({
    description:
      'Measurement errors (no series, NaN, the provider down) are results; more than this many in a row end the analysis as failed.',
    default: '4',
    integer: true,
    min: 0,
  }),
  'min-samples': input.number({
    description:
      'A measurement resting on fewer requests than this (of either version) has no data, and `no-data` decides.',
    default: '10',
    integer: true,
    min: 0,
  }),
  'no-data': input.choice(['fail', 'inconclusive', 'pass'] as const, {
    description: 'What a measurement with no data (fewer than min-samples requests) counts as.',
    default: 'inconclusive',
  }),
  judge: input.choice(['thresholds', 'compare'] as const, {
    description:
      "`thresholds`: each metric's conditions alone. `compare`: also compare the canary's per-interval values with the stable's (Mann–Whitney U, Kayenta's judge); a `fail` fails the analysis, a `marginal` makes it inconclusive.",
    default: 'thresholds',
  }),
};

/** The analysis inputs under `prefix` (deploy-rollout's `analysis-provider`, …). */
export function analysisInputs<P extends string>(prefix: P) {
  return Object.fromEntries(Object.entries(ANALYSIS_INPUTS).map(([k, v]) => [`${prefix}${k}`, v])) as {
    [K in keyof typeof ANALYSIS_INPUTS as `${P}${K}`]: (typeof ANALYSIS_INPUTS)[K];
  };
}

export const monitorGateSpec = defineStep({
  id: 'monitor-gate',
  title: 'Monitor gate',
  summary:
    'Judge a model version on live metrics: error rate, latency, predicted-class shift and your own PromQL, measured on a schedule against conditions and the stable version, into a passed, failed or inconclusive verdict.',
  inputs: {
    app: input.string({
      description: 'The application, as deployed by deploy-rollout (`{{app}}` in queries).',
      required: true,
      example: 'fraud-model',
    }),
    namespace: input.string({
      description: 'Its namespace (`{{namespace}}` in queries).',
      default: 'default',
      example: 'models',
    }),
    'canary-version': input.string({
      description:
        "The version judged: the `version` label modelship serve puts on its metrics (the model version: build-image's tag).",
      required: true,
      example: 'v2',
    }),
    'stable-version': input.string({
      description:
        'The version to compare with, labelled the same way (prediction-shift, `stable` in conditions, judge compare).',
      example: 'v1',
    }),
    kubeconfig: kubeconfigInput('provider kubernetes: '),
    ...ANALYSIS_INPUTS,
    'rollback-on-failure': input.boolean({
      description:
        'A watch after promotion: when the verdict is `failed`, roll the app back to the previous stable version at once (the rollback module, to `previous`, recorded as automatic with the failed metrics as its reason), then fail. Needs the rollback rights on the app (see rollback).',
      default: 'false',
    }),
    deadline: input.string({
      description: 'rollback-on-failure: how long the rollback may take to have the previous version ready.',
      default: '10m',
      expects: 'a duration such as 90s, 10m or 1h',
    }),
    'inconclusive-exit': input.number({
      description:
        'The exit code of an inconclusive verdict: 1 fails the job like a failed one; another code (e.g. 3, with GitLab `allow_failure: exit_codes: [3]`) lets the pipeline send it to a manual approval.',
      default: '1',
      integer: true,
      min: 0,
      max: 255,
    }),
    report: input.path({
      description: 'Where to write the JSON report (every measurement, each metric, the verdict).',
      default: 'modelship-reports/monitor-gate.json',
      writes: 'file',
    }),
  },
  outputs: {
    verdict: { description: '`passed`, `failed` or `inconclusive`.', example: 'passed' },
    score: {
      description: 'Share of metrics that passed, 0–100 (with judge compare: the judge’s score).',
      example: '100',
    },
    'rolled-back': {
      description: '`true` when rollback-on-failure put the previous version back.',
      example: 'false',
    },
    'failed-metrics': {
      description: 'Metrics that failed or were inconclusive, comma-separated.',
      example: 'error-rate',
    },
    report: { description: 'Path of the JSON report.', example: 'modelship-reports/monitor-gate.json' },
  },
  metricsReport: true,
});

export type MonitorGateInputs = InputsOf<typeof monitorGateSpec.inputs>;
export type AnalysisInputs = InputsOf<typeof ANALYSIS_INPUTS>;
