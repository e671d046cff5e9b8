import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { InputError } from '../../errors.ts';
import { histogramSeries, SERVE_METRICS } from '../signals.ts';
import { alertsFor } from './rules.ts';
import { ALERT_DEFAULTS } from './settings.ts';

const scope = { app: 'iris', namespace: 'models' };

/** Every series name serve exports, as a query may spell it. */
const SERVE_SERIES = new Set(
  Object.values(SERVE_METRICS).flatMap((m) =>
    m.type === 'histogram' ? Object.values(histogramSeries(m.name)).slice(0, 3) : [m.name],
  ),
);

describe('alertsFor', () => {
  it('writes one alert per signal, each with for, severity and a runbook that rolls back', () => {
    const { groups, ruleFile } = alertsFor(scope);
    const rules = groups[0]!.rules;
    assert.deepEqual(
      rules.map((r) => [r.alert, r.for, r.labels.severity]),
      [
        ['ModelshipHighErrorRate', '5m', 'critical'],
        ['ModelshipHighLatencyP95', '10m', 'warning'],
        ['ModelshipHighLatencyP99', '10m', 'critical'],
        ['ModelshipNoTraffic', '5m', 'warning'],
        ['ModelshipPredictionShift', '15m', 'warning'],
      ],
    );
    for (const r of rules) {
      assert.equal(r.labels.app, 'iris');
      assert.equal(r.labels.namespace, 'models');
      assert.ok(r.annotations.summary && r.annotations.description, r.alert);
      assert.match(
        r.annotations.runbook,
        new RegExp(
          `First check .*modelship rollback --app iris --namespace models --to previous --reason "${r.alert}"`,
        ),
      );
    }
    assert.deepEqual(parse(ruleFile), { groups: JSON.parse(JSON.stringify(groups)) });
  });

  it("queries serve's metric names and nothing else", () => {
    const names = alertsFor(scope).groups[0]!.rules.flatMap((r) => r.expr.match(/modelship_\w+/g) ?? []);
    assert.ok(names.length >= 5);
    for (const name of names) assert.ok(SERVE_SERIES.has(name), `${name} is not a serve metric`);
  });

  it('takes settings one field at a time, and leaves out an alert set to false', () => {
    const { groups } = alertsFor({
      ...scope,
      model: 'iris',
      alerts: { errorRate: { threshold: 0.01 }, latencyP95: false },
      alertLabels: { team: 'ml' },
    });
    const rules = groups[0]!.rules;
    assert.equal(rules.length, 4);
    const errors = rules.find((r) => r.alert === 'ModelshipHighErrorRate')!;
    assert.match(errors.expr, /\) > 0\.01$/);
    assert.match(errors.expr, /\[5m\]/, 'the default window stays');
    assert.equal(errors.for, ALERT_DEFAULTS.errorRate.for);
    assert.equal(errors.labels.team, 'ml');
    assert.match(errors.expr, /model="iris"/);
  });

  it('refuses a bad setting with one line naming it', () => {
    assert.throws(
      () => alertsFor({ ...scope, alerts: { noTraffic: { window: '15 minutes' } } }),
      (e: unknown) =>
        e instanceof InputError &&
        e.render() ===
          `alerts.noTraffic.window: window is not a Prometheus duration ("15 minutes"). Write it as Prometheus does, e.g. '5m', '90s' or '1d'.`,
    );
    assert.throws(() => alertsFor({ ...scope, alerts: { errorRate: { threshold: -1 } } }), /threshold/);
  });

  it('puts the same groups in a PrometheusRule', () => {
    const { prometheusRule, groups } = alertsFor({ ...scope, ruleLabels: { release: 'prometheus' } });
    assert.equal(prometheusRule.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(prometheusRule.kind, 'PrometheusRule');
    assert.deepEqual(prometheusRule.metadata, {
      name: 'iris-modelship',
      namespace: 'models',
      labels: {
        'app.kubernetes.io/name': 'iris',
        'app.kubernetes.io/managed-by': 'modelship',
        release: 'prometheus',
      },
    });
    assert.deepEqual(prometheusRule.spec.groups, groups);
  });

  it('quotes label values as PromQL strings', () => {
    const expr = alertsFor({ app: 'a"b', namespace: 'n\\s' }).groups[0]!.rules[0]!.expr;
    assert.match(expr, /app="a\\"b",namespace="n\\\\s"/);
  });
});
