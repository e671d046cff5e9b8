/**
 * bench/startup: each bundled action's cold start (no inputs, so it exits 2 at once) against
 * `node -e 0` on the same Node. Timed around spawnSync: GNU time's 10 ms steps are too coarse.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { median } from '../measure.ts';

function time(args: string[], cwd: string, expect: number): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '' } });
  const t = (performance.now() - t0) / 1000;
  if (r.status !== expect) throw new Error(`${args.join(' ')} exited ${r.status}, expected ${expect}`);
  return t;
}

export function benchStartup(root: string, runs = 21) {
  const baseline = median(Array.from({ length: runs }, () => time(['-e', '0'], root, 0)));
  const actions = readdirSync(join(root, 'dist', 'actions')).map((f) => {
    const seconds = median(
      Array.from({ length: runs }, () => time([join(root, 'dist', 'actions', f)], root, 2)),
    );
    return { action: f.replace(/\.mjs$/, ''), seconds, ratio: seconds / baseline };
  });
  return { baseline, actions };
}
