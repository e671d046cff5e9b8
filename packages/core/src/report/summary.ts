/**
 * What a step tells a person, independent of where it is shown: rendered as Markdown for
 * GitHub's job summary and GitLab's MR note, and as plain text for a terminal.
 */
import type { Location } from '../errors.ts';

export type Block =
  | { kind: 'heading'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'table'; columns: string[]; rows: string[][]; numeric?: boolean[] }
  | { kind: 'details'; title: string; blocks: Block[] }
  /** A Mermaid diagram: GitHub and GitLab both render it in Markdown; terminals skip it. */
  | { kind: 'mermaid'; source: string };

export interface Summary {
  title: string;
  passed: boolean;
  /** One line that says what happened, shown first everywhere. */
  headline: string;
  blocks: Block[];
}

/** A check that can fail; each is one JUnit test case on GitLab. */
export interface CheckResult {
  id: string;
  /** JUnit class name: which family of checks, e.g. `column.price`. */
  group: string;
  status: 'pass' | 'fail' | 'warn';
  severity: 'error' | 'warning';
  message: string;
  observed?: unknown;
  expected?: unknown;
  /** Where the rule that was checked is written, e.g. its contract line: annotations point there. */
  where?: Location;
}

export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}
