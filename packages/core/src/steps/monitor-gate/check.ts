/**
 * The analysis inputs checked before anything is measured: a metrics-file typo, a custom query
 * the kubernetes provider cannot answer or a missing Prometheus address costs milliseconds, not
 * an analysis window. Shared by monitor-gate and deploy-rollout's `analysis-*` inputs.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../../errors.ts';
import { parseDuration } from '../../format/duration.ts';
import type { NoDataRule } from '../../monitor/analysis/semantics.ts';
import { loadMetrics, type MetricDefinition } from '../../monitor/metrics-file.ts';
import { isProviderKind, PROVIDER_KINDS, type ProviderKind } from '../../monitor/providers/kinds.ts';
import type { PrometheusConnection } from '../../monitor/providers/prometheus-api.ts';
import type { AnalysisInputs } from './spec.ts';

export interface AnalysisSettings {
  provider: ProviderKind;
  prometheus?: PrometheusConnection;
  metrics: MetricDefinition[];
  metricsPort: number;
  intervalMs: number;
  /** `{{interval}}` in queries: the interval as PromQL writes a duration. */
  interval: string;
  count: number;
  initialDelayMs: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  minSamples: number;
  noData: NoDataRule;
  judge: 'thresholds' | 'compare';
}

export async function checkAnalysis(
  inputs: AnalysisInputs,
  describe: (name: string) => string,
  versions: { stable: boolean },
): Promise<AnalysisSettings> {
  const provider = inputs.provider;
  if (!isProviderKind(provider))
    throw new InputError(`provider '${provider}' is not available in this version`, {
      where: { path: describe('provider') },
      fix: `Use one of ${Object.keys(PROVIDER_KINDS).join(', ')}.`,
    });
  const metrics = await loadMetrics(inputs.metrics, describe('metrics'));
  for (const m of metrics) {
    if (provider === 'kubernetes' && !m.builtin)
      throw new InputError(
        `metric '${m.name}' is a PromQL query, which the kubernetes provider cannot answer`,
        {
          where: m.where,
          fix: `Set ${describe('provider')} to prometheus (with ${describe('prometheus-url')}), or measure built-in metrics only.`,
        },
      );
    if (m.shape === 'distribution' && !versions.stable)
      throw new InputError(`metric '${m.name}' compares with the stable version, and none is given`, {
        where: m.where,
        fix: `Set ${describe('stable-version')}, or leave the metric out of ${describe('metrics')}.`,
      });
  }
  const intervalMs = duration(inputs.interval, describe('interval'), 1000);
  return {
    provider,
    ...(provider === 'prometheus' && { prometheus: await prometheusOf(inputs, describe) }),
    metrics,
    metricsPort: inputs['metrics-port'],
    intervalMs,
    interval: `${Math.round(intervalMs / 1000)}s`,
    count: inputs.count,
    initialDelayMs: duration(inputs['initial-delay'], describe('initial-delay'), 0),
    failureLimit: inputs['failure-limit'],
    inconclusiveLimit: inputs['inconclusive-limit'],
    consecutiveErrorLimit: inputs['consecutive-error-limit'],
    minSamples: inputs['min-samples'],
    noData: inputs['no-data'],
    judge: inputs.judge,
  };
}

async function prometheusOf(
  inputs: AnalysisInputs,
  describe: (name: string) => string,
): Promise<PrometheusConnection> {
  const url = inputs['prometheus-url'];
  if (!url)
    throw new InputError('provider prometheus needs the address of Prometheus', {
      where: { path: describe('prometheus-url') },
      fix: `Set ${describe('prometheus-url')}, e.g. http://prometheus.monitoring:9090, or use provider kubernetes.`,
    });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid:');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new InputError(`'${url}' is not an http(s) URL`, {
      where: { path: describe('prometheus-url') },
      fix: 'Write it like http://prometheus.monitoring:9090.',
    });
  const ca = inputs['prometheus-ca'];
  return {
    url,
    token: inputs.token,
    timeoutMs: duration(inputs['query-timeout'], describe('query-timeout'), 100),
    ...(ca && { ca: await pemOf(ca, describe('prometheus-ca')) }),
  };
}

/** PEM text given as is, or read from the file named. */
async function pemOf(value: string, input: string): Promise<string> {
  const text = value.includes('-----BEGIN')
    ? value
    : await readFile(value, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new InputError(`cannot read the CA file ${value}: ${e.code ?? e.message}`, {
          where: { path: input },
          fix: 'Give a PEM file of CA certificates, or the PEM text itself.',
        });
      });
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new InputError('holds no PEM certificate', {
      where: { path: input },
      fix: 'Give CA certificates in PEM form (-----BEGIN CERTIFICATE-----).',
    });
  return text;
}

function duration(text: string, input: string, minMs: number): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < minMs)
    throw new InputError(`'${text}' is not a duration${minMs ? ` of at least ${minMs / 1000}s` : ''}`, {
      where: { path: input },
      fix: 'Write it like 30s, 1m or 1m30s.',
    });
  return ms;
}
