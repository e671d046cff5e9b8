/**
 * The JavaScript the published @modelship/cli ships: the CLI and the model server with their
 * chunks, built like dist/ but only from their two entries, into packages/cli/dist/ (or the
 * folder given as the first argument). npm runs it before `npm pack` (the package's prepack),
 * because Node does not strip types under node_modules and the workspace packages it uses
 * (@modelship/core, @modelship/serve) are private: they go inside the bundle.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { CLI_ENTRIES, root, SHARED } from './esbuild-options.ts';

/**
 * The GitHub-only clients are half the bundle's weight, and a command line never reaches them:
 * the Actions cache needs a token only JavaScript actions get (so the stub says it is not
 * available and native packages install as on any machine), and provenance is signed only by the
 * GitHub Action's port, which the CLI never uses.
 */
const STUBS: Record<string, string> = {
  '@actions/cache': 'export const isFeatureAvailable = () => false;',
  '@actions/attest': `export const attestProvenance = async () => {
  throw new Error('provenance attestations are made by the GitHub Action, not the modelship CLI');
};`,
};
const githubOnly: Plugin = {
  name: 'github-only',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(STUBS).join('|')})$`);
    b.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'github-only' }));
    b.onLoad({ filter: /.*/, namespace: 'github-only' }, (a) => ({ contents: STUBS[a.path], loader: 'js' }));
  },
};

const outdir = resolve(process.argv[2] ?? join(root, 'packages', 'cli', 'dist'));
await rm(outdir, { recursive: true, force: true });
const result = await build({
  ...SHARED,
  entryPoints: CLI_ENTRIES,
  outdir,
  metafile: true,
  plugins: [githubOnly],
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `${outdir}: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB`,
);
