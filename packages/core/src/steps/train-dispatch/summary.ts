/** The human summary: the verdict and the model first, then the key's parts and the log tail. */
import { formatDuration } from '../../format/duration.ts';
import type { Block, Summary } from '../../report/summary.ts';

export interface Facts {
  target: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'skipped';
  reason: string | undefined;
  model: string | undefined;
  key: string;
  runUrl: string | undefined;
  seconds: number;
  keyParts: Record<string, string>;
  logTail: string[];
}

const HEADLINES: Record<Facts['status'], (f: Facts) => string> = {
  succeeded: (f) =>
    `Trained on ${f.target} in ${formatDuration(f.seconds * 1000)}: ${f.model ?? 'no model pushed'}`,
  skipped: (f) => `Skipped: nothing changed since ${f.model} was trained (key ${f.key.slice(0, 19)}…)`,
  failed: (f) => `Training on ${f.target} failed: ${f.reason}`,
  cancelled: (f) => `Training on ${f.target} cancelled`,
};

export function buildSummary(f: Facts): Summary {
  const blocks: Block[] = [
    {
      kind: 'table',
      columns: ['', ''],
      rows: [
        ['model', f.model ?? '—'],
        ['key', f.key],
        ['run', f.runUrl ?? '—'],
        ...Object.entries(f.keyParts).map(([k, v]) => [`key: ${k}`, v]),
      ],
    },
  ];
  if (f.logTail.length)
    blocks.push({
      kind: 'details',
      title: 'Last log lines',
      blocks: [{ kind: 'text', text: f.logTail.join('\n') }],
    });
  return {
    title: 'Train dispatch',
    passed: f.status === 'succeeded' || f.status === 'skipped',
    headline: HEADLINES[f.status](f),
    blocks,
  };
}
