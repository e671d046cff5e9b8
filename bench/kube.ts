/**
 * What the benchmarks on the test node share: the node (the one MODELSHIP_KUBE_NODE names, else
 * one started here and always stopped), cleanups run before the bench returns, a CLI bundled from
 * this checkout, and a measured command that must succeed.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { attachKubeNode, type KubeNode, type RunningNode, startKubeNode } from '../test/support/kube-node.ts';
import { NODE, ROOT, run } from '../test/support/run.ts';
import type { Measured } from './measure.ts';

/** Cleanups registered by the node fixture and the image builds (they take a TestContext's `after`). */
export interface BenchHooks {
  after(fn: () => unknown): void;
  /** For the test fixtures, which need only `after`. */
  readonly t: TestContext;
}

function cleanups() {
  const fns: (() => unknown)[] = [];
  const hooks: BenchHooks = {
    after: (fn) => void fns.push(fn),
    get t() {
      return hooks as unknown as TestContext;
    },
  };
  return {
    hooks,
    async run() {
      for (const fn of fns.reverse()) await fn();
    },
  };
}

export async function onKubeNode<T>(bench: (node: KubeNode, hooks: BenchHooks) => Promise<T>): Promise<T> {
  const attach = process.env.MODELSHIP_KUBE_NODE;
  const owned: RunningNode | undefined = attach ? undefined : await startKubeNode();
  const c = cleanups();
  try {
    return await bench(owned ?? (await attachKubeNode(attach as string)), c.hooks);
  } finally {
    await c.run();
    const failures = (await owned?.stop()) ?? [];
    if (failures.length) console.error(`the bench's node was not fully torn down: ${failures.join('; ')}`);
  }
}

/** The CLI as it is published (scripts/build-cli.ts), from this checkout's sources, so a stale dist/ is not measured. */
export async function bundleCli(dir: string): Promise<string> {
  const built = await run(NODE, [join(ROOT, 'scripts/build-cli.ts'), join(dir, 'cli')], { cwd: ROOT });
  if (built.code !== 0) throw new Error(`build-cli failed: ${built.stderr}`);
  return join(dir, 'cli', 'cli.mjs');
}

export function ok<M extends Measured & { stderr: string }>(m: M, what: string): M {
  if (m.code !== 0)
    throw new Error(`${what} exited ${m.code}:\n${m.stdout.slice(-2000)}${m.stderr.slice(-2000)}`);
  return m;
}
