/**
 * What each alert fires on, with defaults a user overrides one field at a time. The defaults are
 * for a model answering online traffic: a few percent of 5xx or a p99 past a second is an outage,
 * a quiet quarter of an hour while pods are up means the traffic went somewhere else.
 */
import { InputError } from '../../errors.ts';
import type { Scope } from './promql.ts';

export type Severity = 'critical' | 'warning' | 'info';

interface Common {
  /** How long the condition must hold before the alert fires (Prometheus `for:`). */
  for: string;
  severity: Severity;
}

export interface AlertSettings {
  /** 5xx share of requests over `window` above `threshold` (0.05 = 5 %). */
  errorRate: Common & { threshold: number; window: string };
  /** p95 of the request duration over `window` above `threshold` seconds. */
  latencyP95: Common & { threshold: number; window: string };
  /** p99 of the request duration over `window` above `threshold` seconds. */
  latencyP99: Common & { threshold: number; window: string };
  /** Not one request over `window` while the app's pods are up and scraped. */
  noTraffic: Common & { window: string };
  /**
   * A class's share of a version's predictions over `window` more than `threshold` (0.2 = 20
   * points) away from its share of all the app's predictions over `baseline`, once the version
   * predicts at least `minRate` per second (below that, shares are noise).
   */
  predictionShift: Common & { threshold: number; window: string; baseline: string; minRate: number };
}

export type AlertName = keyof AlertSettings;

export const ALERT_DEFAULTS: AlertSettings = {
  errorRate: { threshold: 0.05, window: '5m', for: '5m', severity: 'critical' },
  latencyP95: { threshold: 0.5, window: '5m', for: '10m', severity: 'warning' },
  latencyP99: { threshold: 1, window: '5m', for: '10m', severity: 'critical' },
  noTraffic: { window: '15m', for: '5m', severity: 'warning' },
  predictionShift: {
    threshold: 0.2,
    window: '30m',
    baseline: '1d',
    minRate: 0.05,
    for: '15m',
    severity: 'warning',
  },
};

export interface AlertOptions extends Scope {
  /** Per alert: fields to change from ALERT_DEFAULTS, or `false` to leave the alert out. */
  alerts?: { [A in AlertName]?: Partial<AlertSettings[A]> | false };
  /** Labels put on every alert (e.g. `team`), for Alertmanager's routing. */
  alertLabels?: Record<string, string>;
  /** Labels on the PrometheusRule object, e.g. those a Prometheus Operator's `ruleSelector` picks. */
  ruleLabels?: Record<string, string>;
}

/** Prometheus' duration syntax (`90s`, `5m`, `1h30m`, `1d`). */
const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

/** The settings of each alert kept, defaults filled in, checked; a bad value names its option. */
export function resolveSettings(options: AlertOptions): Partial<AlertSettings> {
  const out: Partial<Record<AlertName, unknown>> = {};
  for (const name of Object.keys(ALERT_DEFAULTS) as AlertName[]) {
    const given = options.alerts?.[name];
    if (given === false) continue;
    const merged = { ...ALERT_DEFAULTS[name], ...given };
    for (const [field, value] of Object.entries(merged)) check(`alerts.${name}.${field}`, field, value);
    out[name] = merged;
  }
  return out as Partial<AlertSettings>;
}

function check(path: string, field: string, value: unknown): void {
  const bad = (what: string, fix: string) => {
    throw new InputError(`${what} (${JSON.stringify(value)})`, { where: { path }, fix });
  };
  if (field === 'severity') {
    if (value !== 'critical' && value !== 'warning' && value !== 'info')
      bad('unknown severity', 'Use critical, warning or info.');
  } else if (field === 'threshold' || field === 'minRate') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      bad(`${field} is not a number of at least 0`, 'Give a finite number, e.g. 0.05.');
  } else if (typeof value !== 'string' || !DURATION.test(value)) {
    bad(`${field} is not a Prometheus duration`, "Write it as Prometheus does, e.g. '5m', '90s' or '1d'.");
  }
}
