/**
 * promtool unit tests for the alert rules of packages/core/src/monitor/alerts, built from the same
 * functions as the rules: series named from signals.ts, expected annotations from runbook.ts
 * filled in with the values Prometheus will render. For each alert, input series that fire it and
 * series that must not.
 *
 *   const file = promtoolTests(scope, 'rules.yml');   // YAML for `promtool test rules`
 */
import { stringify } from 'yaml';
import {
  ALERT_NAMES,
  annotationsFor,
  type Fill,
  scopeAlertLabels,
} from '../../packages/core/src/monitor/alerts/runbook.ts';
import {
  type AlertName,
  type AlertOptions,
  resolveSettings,
} from '../../packages/core/src/monitor/alerts/settings.ts';
import { histogramSeries, SERVE_METRICS } from '../../packages/core/src/monitor/signals.ts';

interface Series {
  series: string;
  values: string;
}

interface Expected {
  labels?: Record<string, string>;
  fill?: Partial<Fill>;
}

interface Case {
  name: string;
  alert: AlertName;
  evalTime: string;
  series: Series[];
  /** The alerts expected at evalTime; empty: none may fire. */
  expect: Expected[];
}

/** Prometheus' `%.4g`, which its humanize functions use. */
const g4 = (v: number) => String(Number(v.toPrecision(4)));

export function promtoolTests(scope: AlertOptions, ruleFile: string): string {
  const settings = resolveSettings(scope);
  const tests = cases(scope).map((c) => ({
    name: c.name,
    interval: '1m',
    input_series: c.series,
    alert_rule_test: [
      {
        eval_time: c.evalTime,
        alertname: ALERT_NAMES[c.alert],
        exp_alerts: c.expect.map((e) => ({
          exp_labels: {
            severity: settings[c.alert]!.severity,
            ...scopeAlertLabels(scope),
            ...scope.alertLabels,
            ...e.labels,
          },
          exp_annotations: annotationsFor(c.alert, scope, settings, {
            version: e.labels?.version ?? '',
            class: e.labels?.class ?? '',
            percent: '',
            duration: '',
            ...e.fill,
          }),
        })),
      },
    ],
  }));
  return stringify({ rule_files: [ruleFile], evaluation_interval: '1m', tests }, { lineWidth: 0 });
}

function cases(scope: AlertOptions): Case[] {
  const at = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries({ ...scopeAlertLabels(scope), ...labels })
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
  const requests = (version: string, status: string, values: string) => ({
    series: at(SERVE_METRICS.requests.name, { version, status }),
    values,
  });
  const inflight = { series: at(SERVE_METRICS.inflight.name, { version: 'v1' }), values: '0x40' };
  const buckets = histogramSeries(SERVE_METRICS.requestDuration.name).bucket;
  // Ten requests a minute, all in one bucket: histogram_quantile interpolates inside it.
  const durations = (bucket: string) =>
    ['0.25', '1', '2.5', '+Inf'].map((le) => ({
      series: at(buckets, { version: 'v2', le }),
      values: Number(le) >= Number(bucket) ? '0+10x20' : '0x20',
    }));
  const predictions = (version: string, klass: string, values: string) => ({
    series: at(SERVE_METRICS.predictions.name, { version, class: klass }),
    values,
  });
  // The stable v1 predicts a and b half and half for 5 hours; the canary v2 arrives at 4 h.
  const stable = [predictions('v1', 'a', '0+30x300'), predictions('v1', 'b', '0+30x300')];
  const canary = (a: number, b: number) => [
    predictions('v2', 'a', `_x240 0+${a}x60`),
    predictions('v2', 'b', `_x240 0+${b}x60`),
  ];
  return [
    {
      name: 'one answer in 11 is a 5xx',
      alert: 'errorRate',
      evalTime: '15m',
      series: [requests('v2', '200', '0+60x20'), requests('v2', '500', '0+6x20')],
      expect: [{ labels: { version: 'v2' }, fill: { percent: `${g4(100 / 11)}%` } }],
    },
    {
      name: 'one answer in 100 is a 5xx',
      alert: 'errorRate',
      evalTime: '15m',
      series: [requests('v2', '200', '0+99x20'), requests('v2', '500', '0+1x20')],
      expect: [],
    },
    ...(['latencyP95', 'latencyP99'] as const).flatMap((alert) => {
      const q = alert === 'latencyP95' ? 0.95 : 0.99;
      return [
        {
          name: `every request takes 1 to 2.5 s (${alert})`,
          alert,
          evalTime: '15m',
          series: durations('2.5'),
          expect: [{ labels: { version: 'v2' }, fill: { duration: `${g4(1 + 1.5 * q)}s` } }],
        },
        {
          name: `every request takes under 0.25 s (${alert})`,
          alert,
          evalTime: '15m',
          series: durations('0.25'),
          expect: [],
        },
      ];
    }),
    {
      name: 'pods up, the request counter flat',
      alert: 'noTraffic',
      evalTime: '30m',
      series: [inflight, requests('v1', '200', '100x40')],
      expect: [{}],
    },
    {
      name: 'pods up, not one request since they started',
      alert: 'noTraffic',
      evalTime: '30m',
      series: [inflight],
      expect: [{}],
    },
    {
      name: 'pods up and serving',
      alert: 'noTraffic',
      evalTime: '30m',
      series: [inflight, requests('v1', '200', '0+10x40')],
      expect: [],
    },
    {
      name: 'no pods scraped',
      alert: 'noTraffic',
      evalTime: '30m',
      series: [requests('v1', '200', '100x40')],
      expect: [],
    },
    {
      name: 'the canary predicts a 9 times in 10, the stable half the time',
      alert: 'predictionShift',
      evalTime: '300m',
      series: [...stable, ...canary(5.4, 0.6)],
      expect: [{ labels: { version: 'v2', class: 'a' } }, { labels: { version: 'v2', class: 'b' } }],
    },
    {
      name: 'the canary predicts like the stable',
      alert: 'predictionShift',
      evalTime: '300m',
      series: [...stable, ...canary(3, 3)],
      expect: [],
    },
    {
      name: 'the canary predicts a 9 times in 10, but too rarely to judge',
      alert: 'predictionShift',
      evalTime: '300m',
      series: [...stable, ...canary(0.54, 0.06)],
      expect: [],
    },
  ];
}
