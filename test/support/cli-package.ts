/**
 * The published @modelship/cli as a stranger gets it: the tarball `npm pack` makes, built from
 * this checkout once per test process.
 *
 *   const tgz = await packCli();          // …/modelship-cli-0.1.0.tgz
 *   const dist = await buildCli();        // the folder with cli.mjs and serve.mjs it ships
 *
 * The package is staged in a private temp folder (its package.json and README, and the bundle
 * scripts/build-cli.ts writes, which is what the package's `prepack` runs), so test files packing
 * at the same time never share packages/cli/dist. The folder is removed when the process exits.
 */
import { rmSync } from 'node:fs';
import { copyFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE, ROOT, run } from './run.ts';

const PACKAGE = join(ROOT, 'packages', 'cli');

let staged: Promise<string> | undefined;
let packed: Promise<string> | undefined;

async function stage(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modelship-cli-package-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['package.json', 'README.md']) await copyFile(join(PACKAGE, f), join(dir, f));
  const built = await run(NODE, [join(ROOT, 'scripts', 'build-cli.ts'), join(dir, 'dist')]);
  if (built.code !== 0) throw new Error(`scripts/build-cli.ts failed:\n${built.stderr}`);
  return dir;
}

/** The bundle the package ships (cli.mjs, serve.mjs, chunks/), freshly built from the sources. */
export async function buildCli(): Promise<string> {
  staged ??= stage();
  return join(await staged, 'dist');
}

/** The path of the packed .tgz. */
export function packCli(): Promise<string> {
  packed ??= (async () => {
    const dir = join(await buildCli(), '..');
    // The bundle is already built: `prepack` would look for scripts/ beside the staged copy.
    const r = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: dir,
    });
    if (r.code !== 0) throw new Error(`npm pack failed:\n${r.stderr}`);
    const name = (JSON.parse(r.stdout) as { filename: string }[])[0]!.filename;
    const found = await readdir(dir);
    if (!found.includes(name)) throw new Error(`npm pack reported ${name} but wrote ${found.join(', ')}`);
    return join(dir, name);
  })();
  return packed;
}
