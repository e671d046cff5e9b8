/**
 * Brings the test node up by hand and keeps it up until Ctrl-C (or SIGTERM), then tears it all
 * down. While it runs, other shells can use it:
 *
 *   node_modules/.bin/node scripts/kube-node/up.ts
 *   export KUBECONFIG=/tmp/mskn-XXXX/admin.kubeconfig        # printed at start
 *   kubectl get nodes                                         # with the PATH printed at start
 *   MODELSHIP_KUBE_NODE=/tmp/mskn-XXXX/node.json node_modules/.bin/node --test test/kube-….test.ts
 */

import { join } from 'node:path';
import { startKubeNode, whyNoKubeNode } from '../../test/support/kube-node.ts';

const why = await whyNoKubeNode();
if (why) {
  console.error(`kube-node: this machine cannot run the node: ${why}`);
  process.exit(2);
}
const node = await startKubeNode();
console.log(
  [
    `export KUBECONFIG=${node.kubeconfig}`,
    `export PATH=${node.bin}:$PATH`,
    `export MODELSHIP_KUBE_NODE=${join(node.dir, 'node.json')}`,
    `# registry the node pulls from (plain HTTP): ${node.registry}`,
    `# component logs: ${join(node.dir, 'logs')}`,
    '# Ctrl-C tears the node down',
  ].join('\n'),
);
// The fixture turns SIGINT/SIGTERM into a teardown; this only keeps the process alive until then.
setInterval(() => {}, 1 << 30);
