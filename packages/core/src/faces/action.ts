/** The entry every bundled GitHub Action runs: `runs.main` points at a tiny per-step file calling this. */
import { GitHubPlatform } from '../platform/github.ts';
import { findStep } from '../steps/catalog.ts';
import { runStep } from '../steps/runner.ts';

export async function runAction(id: string): Promise<void> {
  const step = findStep(id);
  if (!step) throw new Error(`no step '${id}' in this bundle`);
  process.exitCode = await runStep(step, new GitHubPlatform());
}
