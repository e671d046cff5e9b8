/**
 * Prometheus' text exposition format (what `/metrics` answers), read into samples: enough of it
 * for the counters and histograms modelship serve exports. Comments, HELP and TYPE lines are
 * skipped; label values are unescaped (`\\`, `\"`, `\n`).
 */
import { parseValue } from './prometheus-api.ts';

export interface ScrapedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A `/metrics` answer that is not the text format. */
export class ExpositionError extends Error {
  override name = 'ExpositionError';
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

export function parseExposition(text: string): ScrapedSample[] {
  const out: ScrapedSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new ExpositionError(`not a sample line: ${line.slice(0, 120)}`);
    out.push({ name: m[1]!, labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]!) });
  }
  return out;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m) {
      if (text.slice(at).trim() === '') break;
      throw new ExpositionError(`bad labels: {${text.slice(0, 120)}}`);
    }
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}
