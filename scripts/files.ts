/** Shared by gen and bundle: write generated files, or with --check report which are stale. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const checking = process.argv.includes('--check');

/** `owned`: a directory whose every file is generated, so files not in `files` are stale too. */
export function emit(files: Map<string, string | Uint8Array>, what: string, owned?: string): void {
  const stale: string[] = [];
  if (owned && existsSync(owned)) {
    const keep = new Set([...files.keys()].map((p) => resolve(p)));
    for (const f of readdirSync(owned, { recursive: true, withFileTypes: true })) {
      const path = resolve(join(f.parentPath, f.name));
      if (!f.isFile() || keep.has(path)) continue;
      if (checking) stale.push(path);
      else rmSync(path);
    }
  }
  for (const [path, content] of files) {
    const want = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
    const have = existsSync(path) ? readFileSync(path) : undefined;
    if (have?.equals(want)) continue;
    if (checking) stale.push(path);
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, want);
    }
  }
  if (checking && stale.length) {
    console.error(
      `${what} is stale: ${stale.join(', ')}\nRun \`npm run gen && npm run bundle\` and commit the result.`,
    );
    process.exit(1);
  }
  if (checking) console.log(`${what}: fresh (${files.size} files)`);
}
