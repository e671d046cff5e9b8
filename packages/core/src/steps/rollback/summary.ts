/** The human summary: the verdict and from → to first, then the steps, then the release history. */
import { formatDuration } from '../../format/duration.ts';
import { HISTORY_COLUMNS, historyRows } from '../../kube/rollback/history.ts';
import type { RollbackResult } from '../../kube/rollback/rollback.ts';
import type { Block, Summary } from '../../report/summary.ts';
import type { Plan } from './check.ts';

interface Facts {
  plan: Plan;
  result: RollbackResult;
  requests: number;
  seconds: number;
  passed: boolean;
}

const recovery = (r: RollbackResult) =>
  r.recoverySeconds === null ? '' : ` in ${formatDuration(r.recoverySeconds * 1000)}`;

const HEADLINES: Record<RollbackResult['status'], (f: Facts) => string> = {
  'rolled-back': (f) =>
    `${f.plan.app} is back on ${f.result.target.version}${recovery(f.result)} (${f.result.path}${f.result.path === 'cold' ? ', redeployed without analysis: it was good' : ''})`,
  'already-there': (f) => `${f.plan.app} already serves ${f.result.target.version}: nothing changed`,
  planned: (f) =>
    `Dry run: ${f.plan.app} would go from ${f.result.from.join(' + ') || f.result.target.image} to ${f.result.target.version}`,
  applied: (f) => `${f.plan.app} is going back to ${f.result.target.version} (not waited for)`,
  failed: (f) =>
    `rollback of ${f.plan.app} to ${f.result.target.version} failed: ${f.result.reason ?? 'see the log'}`,
};

export function buildSummary(f: Facts): Summary {
  const r = f.result;
  const blocks: Block[] = [
    {
      kind: 'table',
      columns: ['', ''],
      rows: [
        ['from', r.from.join(' + ') || '—'],
        ['to', `${r.target.image} (${r.target.version})`],
        ['asked for', r.target.asked],
        ['path', r.path ?? '—'],
        ['why', f.plan.reason],
        ['by', r.entry?.actor ?? '—'],
        ['time to recovery', r.recoverySeconds === null ? '—' : formatDuration(r.recoverySeconds * 1000)],
        ...(r.stopped ? [['stopped first', r.stopped]] : []),
        ['API requests', String(f.requests)],
      ],
    },
  ];
  if (r.steps.length) {
    blocks.push({ kind: 'heading', text: 'Steps' });
    blocks.push({
      kind: 'table',
      columns: ['step', 'took', 'outcome', 'seen'],
      rows: r.steps.map((s) => [s.name, formatDuration(s.seconds * 1000), s.outcome, s.seen]),
    });
  }
  if (r.releases.length) {
    blocks.push({ kind: 'heading', text: 'Release history' });
    blocks.push({ kind: 'table', columns: HISTORY_COLUMNS, rows: historyRows(r.releases) });
  }
  return { title: `Rollback ${f.plan.app}`, passed: f.passed, headline: HEADLINES[r.status](f), blocks };
}
