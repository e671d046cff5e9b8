/**
 * The words on each alert, for the person paged at 3 a.m.: a summary, what it means, and a runbook
 * line — the first thing to check and the command that rolls back. `Fill` is what Prometheus puts
 * in at evaluation: its template syntax in the rule file, the expected values in promtool's tests
 * (so the test checks the text a person will read, not a copy of it).
 */
import { SERVE_LABELS, SERVE_METRICS } from '../signals.ts';
import { type Scope, scopeLabels } from './promql.ts';
import type { AlertName, AlertSettings } from './settings.ts';

export interface Fill {
  /** The alert's `version` label. */
  version: string;
  /** The alert's `class` label (prediction shift only). */
  class: string;
  /** The value, humanized as a percentage (error rate). */
  percent: string;
  /** The value, humanized as a duration (latency). */
  duration: string;
}

/** Go templates Prometheus expands when the alert fires. */
export const TEMPLATE_FILL: Fill = {
  version: '{{ $labels.version }}',
  class: '{{ $labels.class }}',
  percent: '{{ $value | humanizePercentage }}',
  duration: '{{ $value | humanizeDuration }}',
};

export interface Annotations {
  summary: string;
  description: string;
  runbook: string;
}

const pct = (share: number) => `${+(share * 100).toFixed(2)}%`;

export function annotationsFor(
  name: AlertName,
  scope: Scope,
  settings: Partial<AlertSettings>,
  f: Fill,
): Annotations {
  const s = settings as AlertSettings;
  const app = `${scope.namespace}/${scope.app}${scope.model ? ` (model ${scope.model})` : ''}`;
  const rollback = `modelship rollback --app ${scope.app} --namespace ${scope.namespace} --to previous --reason "${ALERT_NAMES[name]}"`;
  const logs = `kubectl -n ${scope.namespace} logs deploy/${scope.app} --tail=200`;
  const pods = `kubectl -n ${scope.namespace} get pods,deploy -l app.kubernetes.io/name=${scope.app}`;
  const back = `If it began with a release, roll back: ${rollback}`;
  switch (name) {
    case 'errorRate':
      return {
        summary: `${app} version ${f.version} answers ${f.percent} of requests with 5xx`,
        description: `More than ${pct(s.errorRate.threshold)} of requests to ${app}, version ${f.version}, were answered 5xx over ${s.errorRate.window}, for ${s.errorRate.for}. Clients are getting errors now.`,
        runbook: `Users see errors. First check the server's log for the failing requests (${logs}) and whether pods restart (${pods}). ${back}`,
      };
    case 'latencyP95':
    case 'latencyP99': {
      const q = name === 'latencyP95' ? 'p95' : 'p99';
      const t = s[name];
      return {
        summary: `${app} version ${f.version} answers slowly: ${q} ${f.duration}`,
        description: `The ${q} of request durations of ${app}, version ${f.version}, was above ${t.threshold}s over ${t.window}, for ${t.for}.`,
        runbook: `Requests are slow or time out. First check whether the pods are CPU-throttled or short of replicas (${pods}; kubectl top pods) and whether in-flight requests pile up (${SERVE_METRICS.inflight.name}). ${back}`,
      };
    }
    case 'noTraffic':
      return {
        summary: `${app} got no requests for ${s.noTraffic.window}`,
        description: `Not one inference request reached ${app} over ${s.noTraffic.window}, while its pods are up and scraped, for ${s.noTraffic.for}. Traffic is going somewhere else, or nowhere.`,
        runbook: `Its clients may be failing before they reach it. First check the Service and its endpoints (kubectl -n ${scope.namespace} get svc,endpoints ${scope.app}), the ingress or gateway routes, and the callers' own errors. If the last release changed the Service or routes: ${rollback}`,
      };
    case 'predictionShift':
      return {
        summary: `${app} version ${f.version} predicts class ${f.class} far more or less often than over the last ${s.predictionShift.baseline}`,
        description: `The share of class ${f.class} in the predictions of ${app}, version ${f.version}, over ${s.predictionShift.window} differs by more than ${+(s.predictionShift.threshold * 100).toFixed(2)} percentage points from its share of all the app's predictions over ${s.predictionShift.baseline}, for ${s.predictionShift.for}. The model may be wrong while every request succeeds.`,
        runbook: `The answers may be wrong although nothing errors. First check whether a new model version was released (${pods}) and whether the input data changed upstream (validate-data on a recent sample). If the new version caused it: ${rollback}`,
      };
  }
}

/** The alert names as Alertmanager shows them. */
export const ALERT_NAMES: Record<AlertName, string> = {
  errorRate: 'ModelshipHighErrorRate',
  latencyP95: 'ModelshipHighLatencyP95',
  latencyP99: 'ModelshipHighLatencyP99',
  noTraffic: 'ModelshipNoTraffic',
  predictionShift: 'ModelshipPredictionShift',
};

/** The labels the scope's series carry, put on every alert so Alertmanager can route by them. */
export const scopeAlertLabels = (scope: Scope): Record<string, string> => {
  const names = scopeLabels(scope);
  return {
    [names.app]: scope.app,
    [names.namespace]: scope.namespace,
    ...(scope.model === undefined ? {} : { [SERVE_LABELS.model]: scope.model }),
  };
};
