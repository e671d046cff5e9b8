/**
 * The monitoring that outlives a rollout, against the real things: the rule file through
 * `promtool check rules` and `promtool test rules` (a unit test per alert: series that fire it and
 * series that must not, see support/alert-cases.ts), loaded by a real Prometheus that evaluates
 * every rule and the dashboard's queries, and the PrometheusRule applied on the real node — skipped
 * with a note while the CRD is absent, applied once it is installed, and applied again unchanged.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { exampleFiles } from '../examples/monitoring/generate.ts';
import { Kube } from '../packages/core/src/kube/client.ts';
import { kubeconfigSource, loadKubeconfig } from '../packages/core/src/kube/config.ts';
import {
  applyPrometheusRule,
  CRD_ABSENT_NOTE,
  PROMETHEUS_RULE,
} from '../packages/core/src/kube/prometheus-rule.ts';
import { dashboardFor } from '../packages/core/src/monitor/alerts/dashboard.ts';
import { alertsFor } from '../packages/core/src/monitor/alerts/rules.ts';
import type { AlertOptions } from '../packages/core/src/monitor/alerts/settings.ts';
import { promtoolTests } from './support/alert-cases.ts';
import { type KubeApi, KubeApiError, until } from './support/kube-api.ts';
import { narrowKubeconfig } from './support/kube-deploy.ts';
import { kubeNodeFixture } from './support/kube-node.ts';
import { startPrometheus } from './support/prometheus.ts';
import { ROOT, run, tempDir } from './support/run.ts';

const kube = kubeNodeFixture();

const SCOPES: AlertOptions[] = [
  { app: 'iris', namespace: 'models' },
  { app: 'iris', namespace: 'models', model: 'iris', alertLabels: { team: 'ml' } },
];

async function ruleFileIn(t: TestContext, scope: AlertOptions): Promise<string> {
  const file = join(await tempDir(t, 'modelship-alerts-'), 'rules.yml');
  await writeFile(file, alertsFor(scope).ruleFile);
  return file;
}

describe('alert rules', () => {
  for (const scope of SCOPES) {
    const named = `${scope.namespace}/${scope.app}${scope.model ? ` model ${scope.model}` : ''}`;

    it(`pass promtool check rules (${named})`, async (t) => {
      const r = await run('promtool', ['check', 'rules', await ruleFileIn(t, scope)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /SUCCESS: 5 rules found/);
    });

    it(`pass promtool test rules: each alert fires on its series and on no others (${named})`, async (t) => {
      const rules = await ruleFileIn(t, scope);
      const tests = join(rules, '..', 'rules.test.yml');
      await writeFile(tests, promtoolTests(scope, 'rules.yml'));
      const r = await run('promtool', ['test', 'rules', tests]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /SUCCESS/);
      // Every alert has a case that fires it, so a rule that never fires cannot pass.
      const cases = parse(await readFile(tests, 'utf8')).tests as {
        alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
      }[];
      const fired = new Set(cases.flatMap((c) => c.alert_rule_test.filter((a) => a.exp_alerts.length)));
      assert.deepEqual(
        [...new Set([...fired].map((a) => a.alertname))].sort(),
        alertsFor(scope)
          .groups[0]!.rules.map((r) => r.alert)
          .sort(),
      );
    });
  }

  it('are loaded and evaluated by a real Prometheus, and so are the dashboard queries', async (t) => {
    const scope = SCOPES[1]!;
    const rules = await ruleFileIn(t, scope);
    const prom = await startPrometheus(t, { targets: [] });
    // The fixture writes no rule_files; add ours and have Prometheus reload its config (SIGHUP).
    const config = JSON.parse(await readFile(prom.configFile, 'utf8'));
    await writeFile(prom.configFile, JSON.stringify({ ...config, rule_files: [rules] }));
    prom.child.kill('SIGHUP');
    const loaded = await until(
      'every rule loaded and evaluated',
      async () => {
        const res = await fetch(`${prom.url}/api/v1/rules`);
        const body = (await res.json()) as {
          data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
        };
        const all = body.data.groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));
        return all.length === 5 && all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      60_000,
      () => prom.logs(),
    );
    assert.deepEqual(
      loaded.map((r) => [r.group, r.name, r.health, r.lastError ?? '']),
      alertsFor(scope).groups[0]!.rules.map((r) => ['modelship.models.iris.iris', r.alert, 'ok', '']),
    );

    // Grafana expands the variables before it queries; expanded the same way, each query must run.
    const dashboard = dashboardFor(scope) as { panels: { targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr));
    assert.equal(exprs.length, 6);
    for (const expr of exprs) {
      const expanded = expr.replaceAll('$__rate_interval', '1m').replaceAll('$version', '.*');
      await prom.query(expanded); // throws with Prometheus' parse error
    }
  });
});

describe('examples/monitoring', () => {
  it('holds what the generator writes now (node examples/monitoring/generate.ts)', async () => {
    for (const [name, text] of Object.entries(exampleFiles())) {
      const stored = await readFile(join(ROOT, 'examples', 'monitoring', name), 'utf8');
      if (name.endsWith('.json')) assert.deepEqual(JSON.parse(stored), JSON.parse(text), `${name} is stale`);
      else assert.equal(stored, text, `${name} is stale`);
    }
  });
});

describe('PrometheusRule on the real node', () => {
  it('is skipped with a note while the CRD is absent, applied once it exists, and re-applied unchanged', async (t) => {
    const node = kube.use(t);
    if (!node) return;
    const ns = await node.namespace(t);
    await removeCrd(node.api);
    t.after(() => removeCrd(node.api));
    // Credentials of the namespace alone, as a pipeline has: no right to read CRDs, only discovery.
    const narrow = await narrowKubeconfig(node, ns, 'monitoring', [
      {
        apiGroups: ['monitoring.coreos.com'],
        resources: ['prometheusrules'],
        verbs: ['get', 'create', 'patch'],
      },
    ]);
    const client = async () =>
      new Kube(await loadKubeconfig(kubeconfigSource(narrow, {}), 'the kubeconfig input'));
    const { prometheusRule } = alertsFor({ app: 'iris', namespace: ns });

    const skipped = await applyPrometheusRule(await client(), prometheusRule);
    assert.deepEqual(skipped, { applied: false, note: CRD_ABSENT_NOTE });
    assert.match(skipped.note, /^skipped: the PrometheusRule CRD is not installed/);

    await installCrd(node.api);
    const first = await applyPrometheusRule(await client(), prometheusRule);
    assert.equal(first.applied, true, first.note);
    const path = `/apis/${PROMETHEUS_RULE.apiVersion}/namespaces/${ns}/prometheusrules/iris-modelship`;
    const stored = await node.api.call<{
      metadata: { resourceVersion: string; labels: Record<string, string> };
      spec: unknown;
    }>('GET', path);
    assert.deepEqual(stored.spec, JSON.parse(JSON.stringify(prometheusRule.spec)));
    assert.equal(stored.metadata.labels['app.kubernetes.io/managed-by'], 'modelship');

    const again = await applyPrometheusRule(await client(), prometheusRule);
    assert.equal(again.applied, true);
    const after = await node.api.call<{ metadata: { resourceVersion: string } }>('GET', path);
    assert.equal(
      after.metadata.resourceVersion,
      stored.metadata.resourceVersion,
      'an unchanged apply writes nothing',
    );
  });
});

const CRD_PATH = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PROMETHEUS_RULE.crd}`;

/** The smallest CRD the operator's kind fits in: the group, kind and plural, the spec left open. */
async function installCrd(api: KubeApi): Promise<void> {
  await api.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: PROMETHEUS_RULE.crd },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: {
        kind: 'PrometheusRule',
        plural: 'prometheusrules',
        singular: 'prometheusrule',
        listKind: 'PrometheusRuleList',
      },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  await until(
    'the PrometheusRule CRD established and served',
    async () => {
      const crd = await api.call<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        CRD_PATH,
      );
      const established = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      const served = (await api.raw('GET', `/apis/${PROMETHEUS_RULE.apiVersion}`)).status === 200;
      return established && served ? true : undefined;
    },
    60_000,
  );
}

/** The CRD is cluster-wide: remove it (and so every PrometheusRule) and wait until it is gone. */
async function removeCrd(api: KubeApi): Promise<void> {
  await api.call('DELETE', CRD_PATH).catch((e: unknown) => {
    if (!(e instanceof KubeApiError && e.status === 404)) throw e;
  });
  await until(
    'the PrometheusRule CRD gone',
    async () =>
      (await api.raw('GET', `/apis/${PROMETHEUS_RULE.apiVersion}`)).status === 404 ? true : undefined,
    120_000,
  );
}
