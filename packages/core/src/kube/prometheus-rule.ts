/**
 * Puts a model's alert rules into a cluster watched by the Prometheus Operator: a PrometheusRule
 * applied server-side, when the cluster has that kind. Without the operator's CRD there is nothing
 * to apply it to, which is no failure of the rollout: the caller gets a note saying so, and the
 * same rules as a file for a Prometheus configured by hand.
 */
import type { Kube } from './client.ts';
import type { KubeObject } from './types.ts';

export const PROMETHEUS_RULE = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  crd: 'prometheusrules.monitoring.coreos.com',
} as const;

export type RuleApplied =
  | { applied: true; object: KubeObject; note: string }
  | { applied: false; note: string };

export const CRD_ABSENT_NOTE = `skipped: the PrometheusRule CRD is not installed (${PROMETHEUS_RULE.crd}); install the Prometheus Operator, or load the rule file into Prometheus with rule_files`;

export async function applyPrometheusRule(kube: Kube, rule: KubeObject): Promise<RuleApplied> {
  if (rule.apiVersion !== PROMETHEUS_RULE.apiVersion || rule.kind !== PROMETHEUS_RULE.kind)
    throw new Error(`applyPrometheusRule was given a ${rule.apiVersion}/${rule.kind}, not a PrometheusRule`);
  if (!(await kube.serves(PROMETHEUS_RULE.apiVersion, PROMETHEUS_RULE.kind)))
    return { applied: false, note: CRD_ABSENT_NOTE };
  const object = await kube.apply(rule);
  return {
    applied: true,
    object,
    note: `applied PrometheusRule ${rule.metadata?.namespace}/${rule.metadata?.name}`,
  };
}
