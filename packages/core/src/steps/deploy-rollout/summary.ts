/** The human summary: the verdict first, then the timeline of the rollout's steps and the evidence. */
import { formatDuration } from '../../format/duration.ts';
import type { Release } from '../../kube/release.ts';
import type { Block, Summary } from '../../report/summary.ts';
import type { Plan } from './check.ts';

interface Facts {
  plan: Plan;
  release: Release;
  evidence: string[];
  requests: number;
  seconds: number;
  passed: boolean;
}

const HEADLINES: Record<string, (f: Facts) => string> = {
  promoted: (f) =>
    `${f.plan.app} ${f.plan.version} is live: release ${f.release.revision}, ${f.plan.replicas} pods ready in ${formatDuration(f.seconds * 1000)}`,
  applied: (f) => `${f.plan.app} ${f.plan.version} applied as release ${f.release.revision} (not waited for)`,
  planned: (f) =>
    `Dry run: ${f.plan.app} ${f.plan.version} would be release ${f.release.revision}; the API server accepted the manifests`,
  aborted: (f) =>
    `${f.plan.app} ${f.plan.version} aborted, ${f.release.previousImage ? 'back on the previous version' : 'scaled to zero'}: ${f.release.reason}`,
  paused: (f) =>
    f.release.pausedAt
      ? `${f.plan.app} ${f.plan.version} ${f.release.reason}`
      : `${f.plan.app} ${f.plan.version} failed and is left as it is (on-failure: pause): ${f.release.reason}`,
  cancelled: (f) => `${f.plan.app} ${f.plan.version} cancelled: ${f.release.reason}`,
};

export function buildSummary(f: Facts): Summary {
  const blocks: Block[] = [
    {
      kind: 'table',
      columns: ['', ''],
      rows: [
        ['image', f.plan.image],
        ['previous', f.release.previousImage ?? '—'],
        ['namespace', f.plan.namespace],
        ['strategy', f.release.strategy],
        ['API requests', String(f.requests)],
      ],
    },
  ];
  if (f.release.steps.length) {
    blocks.push({ kind: 'heading', text: 'Timeline' });
    blocks.push({
      kind: 'table',
      columns: ['step', 'weight', 'took', 'outcome', 'seen'],
      rows: f.release.steps.map((s) => [
        s.name,
        `${s.weight}%`,
        formatDuration(s.seconds * 1000),
        s.outcome,
        s.seen,
      ]),
    });
  }
  if (f.evidence.length)
    blocks.push({
      kind: 'details',
      title: 'What the cluster said',
      blocks: [{ kind: 'text', text: f.evidence.join('\n') }],
    });
  return {
    title: `Deploy ${f.plan.app}`,
    passed: f.passed,
    headline: (HEADLINES[f.release.status] ?? ((x: Facts) => `${x.plan.app}: ${x.release.status}`))(f),
    blocks,
  };
}
