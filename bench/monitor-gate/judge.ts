/**
 * bench/monitor-gate, the judge half: judge() on one metric of 2 × 10,000 per-interval samples (the
 * Mann–Whitney test and the Hodges–Lehmann shift with its interval, samples cleaned and sorted)
 * against scipy.stats.mannwhitneyu alone on the same samples (judge_peer.py), each timed around
 * the call only, warm, as the median of several repetitions in one run. The figures are CPU time
 * (both sides are single-threaded), which a loaded shared machine disturbs far less than wall time
 * between two processes run one after the other; the wall medians come along for reference.
 * `node bench/monitor-gate/judge.ts` prints the figures on its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../packages/core/src/metrics/random.ts';
import { judge } from '../../packages/core/src/monitor/judge/judge.ts';
import { median } from '../measure.ts';

const N = 10_000;
const REPS = 31;

/** Latency-like samples: log-normal around 40 ms, the canary 3 % slower, to the microsecond. */
function samples(): { canary: number[]; stable: number[] } {
  const { normal } = mulberry32(12);
  const draw = (scale: number) =>
    Array.from({ length: N }, () => Number((scale * Math.exp(0.3 * normal())).toFixed(6)));
  return { canary: draw(0.0412), stable: draw(0.04) };
}

export interface JudgeBench {
  /** Median CPU milliseconds of one judge() call. */
  ours_ms: number;
  /** Median CPU milliseconds of one scipy.stats.mannwhitneyu call. */
  scipy_ms: number;
  ours_wall_ms: number;
  scipy_wall_ms: number;
  /** Samples per side. */
  n: number;
}

export async function benchJudge(): Promise<JudgeBench> {
  const { canary, stable } = samples();
  const metric = { name: 'latency', canary, stable, direction: 'increase' as const };
  const first = judge([metric]).metrics[0]!;
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    judge([metric]);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const peer = JSON.parse(
    execFileSync('/usr/bin/python3', [fileURLToPath(new URL('judge_peer.py', import.meta.url))], {
      input: JSON.stringify({ canary, stable, reps: REPS }),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  ) as { cpu_ms: number; wall_ms: number; u: number; p: number };
  // Both must have computed the same test, or the timing compares different work.
  if (Math.abs(first.pValue! - peer.p) > 1e-6) throw new Error(`judge p ${first.pValue} ≠ scipy p ${peer.p}`);
  return {
    ours_ms: median(cpu),
    scipy_ms: peer.cpu_ms,
    ours_wall_ms: median(wall),
    scipy_wall_ms: peer.wall_ms,
    n: N,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchJudge();
  console.log(JSON.stringify({ ...r, ratio: r.ours_ms / r.scipy_ms }));
}
