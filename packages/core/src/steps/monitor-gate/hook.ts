/**
 * monitor-gate between deploy-rollout's canary steps: the `analysis-*` inputs (monitor-gate's own
 * analysis inputs, prefixed) checked up front, and an AnalysisHook that, at each `analysis` step,
 * judges the canary's pods against the stable's and answers passed or not. kube/ never imports
 * monitor/: deploy-rollout's run.ts hands this hook to the strategy.
 *
 * The versions compared are what serve labels its metrics with (its model version), read from one
 * running pod of each track, so the metrics are told apart however the image was referenced.
 */
import { ConfigurationError } from '../../errors.ts';
import type { Kube } from '../../kube/client.ts';
import type { AnalysisHook } from '../../kube/rollout/strategy.ts';
import { TRACK_LABEL } from '../../kube/traffic/router.ts';
import { parseExposition } from '../../monitor/providers/exposition.ts';
import { type PodState, serving } from '../../monitor/providers/kubernetes.ts';
import { SERVE_LABELS, SERVE_METRICS } from '../../monitor/signals.ts';
import type { Logger } from '../../platform/port.ts';
import type { InputsOf } from '../spec.ts';
import { type AnalysisSettings, checkAnalysis } from './check.ts';
import { execute } from './execute.ts';
import { appSelector } from './selector.ts';
import { type AnalysisInputs, analysisInputs } from './spec.ts';

export const ANALYSIS_PREFIX = 'analysis-';
/** deploy-rollout's `analysis-provider`, `analysis-metrics`, … */
export const DEPLOY_ANALYSIS_INPUTS = analysisInputs(ANALYSIS_PREFIX);
export type DeployAnalysisInputs = InputsOf<typeof DEPLOY_ANALYSIS_INPUTS>;

export interface HookTarget {
  app: string;
  namespace: string;
  kube: Kube;
  log: Logger;
  describe: (name: string) => string;
}

/** The analysis settings from deploy-rollout's inputs, checked before the cluster is touched. */
export function checkDeployAnalysis(inputs: DeployAnalysisInputs, describe: (n: string) => string) {
  const own = Object.fromEntries(
    Object.entries(inputs)
      .filter(([k]) => k.startsWith(ANALYSIS_PREFIX))
      .map(([k, v]) => [k.slice(ANALYSIS_PREFIX.length), v]),
  ) as AnalysisInputs;
  // A canary always has a stable version to compare with (canary.ts rolls a first deploy out instead).
  return checkAnalysis(own, (n) => describe(`${ANALYSIS_PREFIX}${n}`), { stable: true });
}

export function analysisHook(settings: AnalysisSettings, t: HookTarget): AnalysisHook {
  return async ({ weight, signal }) => {
    try {
      const [canary, stable] = await Promise.all([
        servedVersion(t, settings.metricsPort, 'canary'),
        servedVersion(t, settings.metricsPort, 'stable'),
      ]);
      const target = {
        app: t.app,
        namespace: t.namespace,
        canary,
        stable,
        selector: appSelector(t.app),
        kube: async () => t.kube,
      };
      const { result, score } = await execute(settings, target, t.log, signal);
      const line = `${result.verdict} (score ${score}) at ${weight}%: ${result.reason}`;
      return { passed: result.verdict === 'passed', seen: line };
    } catch (e) {
      // The rollout must still go back to stable: a refused proxy or a missing pod is a failed analysis.
      if (!(e instanceof ConfigurationError)) throw e;
      return { passed: false, seen: `analysis could not run: ${e.render()}` };
    }
  };
}

/** The `version` label serve puts on its metrics, from one running pod of the track. */
async function servedVersion(t: HookTarget, port: number, track: 'canary' | 'stable'): Promise<string> {
  const pods = await t.kube.list<PodState>('v1', 'Pod', t.namespace, {
    labels: `${appSelector(t.app)},${TRACK_LABEL}=${track}`,
    fields: 'status.phase=Running',
  });
  const pod = pods.items.find(serving);
  if (!pod) throw new ConfigurationError(`no running ${track} pod of ${t.app} to analyse`);
  const text = await t.kube.proxyGet(t.namespace, pod.metadata.name, port, 'metrics');
  const gauge = parseExposition(text).find((s) => s.name === SERVE_METRICS.inflight.name);
  const version = gauge?.labels[SERVE_LABELS.version];
  if (!version)
    throw new ConfigurationError(`pod ${pod.metadata.name} serves no modelship metrics with a version label`);
  return version;
}
