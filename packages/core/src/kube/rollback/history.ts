/**
 * The release record as a timeline a person reads: releases and rollbacks, newest first, one row
 * each — for `modelship history` and the rollback step's summary.
 */
import type { Release } from '../release.ts';

export const HISTORY_COLUMNS = ['rev', 'when', 'what', 'version', 'status', 'who', 'details'];

export function historyRows(releases: Release[]): string[][] {
  return releases.map((r) => [
    String(r.revision),
    r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.kind === 'rollback'
      ? `rollback${r.rollback?.automatic ? ' (automatic)' : ''}`
      : `deploy (${r.strategy})`,
    r.version,
    r.rolledBackBy ? `${r.status}, rolled back by ${r.rolledBackBy}` : r.status,
    r.actor ?? '—',
    detailsOf(r),
  ]);
}

function detailsOf(r: Release): string {
  const b = r.rollback;
  if (!b) return [r.reason, r.stage && `stage ${r.stage}`].filter(Boolean).join('; ');
  const recovery = b.recoverySeconds === null ? '' : `, recovered in ${b.recoverySeconds.toFixed(1)}s`;
  const undid = b.undid.length ? `undid ${b.undid.join(', ')}; ` : '';
  return `${undid}${b.path}${recovery}; why: ${r.reason ?? '—'}${b.error ? `; failed: ${b.error}` : ''}`;
}
