/**
 * A metric provider: where monitor-gate reads a metric of one model version. One small interface,
 * one file per kind, the table in kinds.ts (argo's metric/provider.go pattern). A reading that
 * cannot be made (the server down, no series, several series, NaN) is thrown as a
 * MeasurementError, which the analysis loop records as an error result, never as a crash.
 */
import type { MetricDefinition } from '../metrics-file.ts';

/** What one metric of one version was over the last interval. */
export type Observation =
  | { kind: 'value'; value: number }
  /** Counts by a label (prediction-shift: predicted classes). */
  | { kind: 'distribution'; counts: Record<string, number> };

export interface Reading {
  /** Absent when there were no samples to compute it from. */
  observation?: Observation;
  /** Requests the reading rests on, when the metric says how to count them (the no-data rule). */
  samples?: number;
}

/** The values a query template may use: `{{app}}`, `{{version}}`, `{{interval}}`, … */
export type Variables = Record<
  'app' | 'namespace' | 'version' | 'stable_version' | 'canary_version' | 'interval',
  string
>;

export interface Provider {
  /** Called once before the first interval, e.g. to take the scrape the first rates start from. */
  begin(versions: string[], signal: AbortSignal): Promise<void>;
  /** Called at each measurement before its reads, so every read of it sees the same moment. */
  tick(signal: AbortSignal): Promise<void>;
  read(metric: MetricDefinition, vars: Variables, signal: AbortSignal): Promise<Reading>;
  /** Requests sent, for the report and the bench. */
  readonly requests: number;
}

/** A reading that could not be made; recorded as the measurement's error, with this message. */
export class MeasurementError extends Error {
  override name = 'MeasurementError';
}

/** `{{name}}` replaced by its value; an unknown name is left for check time to refuse. */
export function render(template: string, vars: Variables): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? vars[name as keyof Variables] : whole,
  );
}

export const TEMPLATE_VARIABLES: readonly (keyof Variables)[] = [
  'app',
  'namespace',
  'version',
  'stable_version',
  'canary_version',
  'interval',
];

/** A number a condition can use: NaN and ±Inf are no evidence, so they are measurement errors. */
export function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new MeasurementError(`${what} is ${value}, not a finite number`);
  return value;
}
