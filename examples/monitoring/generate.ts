/**
 * Writes the example app's monitoring files next to this script: the Prometheus rule file, the
 * same rules as a PrometheusRule for the Prometheus Operator, and the Grafana dashboard.
 * `node examples/monitoring/generate.ts`; test/alerts.test.ts fails when they are stale (the
 * dashboard compared as JSON, since the formatter lays it out).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardFor } from '@modelship/core/monitor/alerts/dashboard.ts';
import { alertsFor } from '@modelship/core/monitor/alerts/rules.ts';
import { stringify } from 'yaml';

/** The example's model server as deploy-rollout runs it: app `iris` in namespace `models`. */
export const EXAMPLE = { app: 'iris', namespace: 'models' };

export function exampleFiles(): Record<string, string> {
  const { ruleFile, prometheusRule } = alertsFor(EXAMPLE);
  return {
    'rules.yml': ruleFile,
    'prometheus-rule.yaml': stringify(prometheusRule, { lineWidth: 0 }),
    'dashboard.json': `${JSON.stringify(dashboardFor(EXAMPLE), null, 2)}\n`,
  };
}

if (import.meta.main) {
  for (const [name, text] of Object.entries(exampleFiles()))
    writeFileSync(join(import.meta.dirname, name), text);
  // The repository's formatter owns JSON layout (short arrays on one line); YAML it leaves alone.
  const biome = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'biome');
  const r = spawnSync(biome, ['format', '--write', join(import.meta.dirname, 'dashboard.json')], {
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 1;
}
