/**
 * `npm run bundle`: one esbuild build for every action, the CLI and the model server, with
 * shared chunks, into dist/. Native packages stay out (platform/native installs them); `--check`
 * compares the build with what is committed and fails on any difference.
 */

import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { STEPS } from '../packages/core/src/steps/catalog.ts';
import { CLI_ENTRIES, root, SHARED } from './esbuild-options.ts';
import { checking, emit } from './files.ts';

// The Kubernetes client (deploy-rollout only, in a lazy chunk) is most of it; DESIGN.md: 8 MB in all.
const DIST_LIMIT = 8 * 1024 * 1024;

/** Each action's entry is two lines; generate them instead of keeping files that say nothing. */
const actionEntries: Plugin = {
  name: 'action-entries',
  setup(b) {
    b.onResolve({ filter: /^action:/ }, (a) => ({ path: a.path.slice(7), namespace: 'action' }));
    b.onLoad({ filter: /.*/, namespace: 'action' }, (a) => ({
      contents: `import { runAction } from './packages/core/src/faces/action.ts';\nawait runAction(${JSON.stringify(a.path)});\n`,
      resolveDir: root,
      loader: 'ts',
    }));
  },
};

const result = await build({
  ...SHARED,
  entryPoints: [
    ...STEPS.map((s) => ({ in: `action:${s.spec.id}`, out: `actions/${s.spec.id}` })),
    ...CLI_ENTRIES,
  ],
  outdir: 'dist',
  write: false,
  plugins: [actionEntries],
});

const files = new Map<string, Uint8Array>();
let total = 0;
for (const f of result.outputFiles) {
  files.set(f.path, f.contents);
  total += f.contents.length;
}
if (total > DIST_LIMIT) {
  console.error(
    `dist/ would be ${(total / 1048576).toFixed(2)} MB, over the ${DIST_LIMIT / 1048576} MB limit`,
  );
  process.exit(1);
}
if (!checking) console.log(`dist/: ${files.size} files, ${(total / 1024).toFixed(0)} KiB`);
emit(files, 'dist/', join(root, 'dist'));
