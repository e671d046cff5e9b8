/**
 * One test node for a whole `node --test` run, shared by every test file:
 *
 *   node --test --test-global-setup=test/support/kube-node-global.ts …
 *
 * The runner calls globalSetup before the first file and globalTeardown after the last; the files'
 * processes inherit MODELSHIP_KUBE_NODE and attach to the node instead of starting their own. A
 * machine that cannot run a node starts none (each file that needs one says so and skips).
 */
import { join } from 'node:path';
import { type RunningNode, startKubeNode, whyNoKubeNode } from './kube-node.ts';

let node: RunningNode | undefined;

export async function globalSetup() {
  if (process.env.MODELSHIP_KUBE_NODE || (await whyNoKubeNode())) return;
  node = await startKubeNode();
  process.env.MODELSHIP_KUBE_NODE = join(node.dir, 'node.json');
}

export async function globalTeardown() {
  // stop() undoes everything and then looks afresh (processes, mounts, chains, bridge, sysctls):
  // a leftover fails this run, loudly, instead of the next one.
  const failures = (await node?.stop()) ?? [];
  if (failures.length) {
    const message = `the test node was not fully torn down: ${failures.join('; ')}`;
    console.error(message);
    throw new Error(message);
  }
}
