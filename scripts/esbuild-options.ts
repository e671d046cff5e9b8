/**
 * The esbuild settings every modelship bundle shares: dist/ (actions, CLI, model server) and the
 * published CLI package. Native packages stay out (platform/native installs them at run time).
 */
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

export const root = join(import.meta.dirname, '..');

/**
 * The CLI's entry is a version check that imports the rest only on a Node that can run it; the
 * model server alone is what build-image puts in images (and `modelship serve` shares its chunks).
 */
export const CLI_ENTRIES = [
  { in: 'packages/cli/src/bin.ts', out: 'cli' },
  { in: 'packages/serve/src/bin.ts', out: 'serve' },
];

export const SHARED: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@duckdb/node-api', 'onnxruntime-node'],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // CommonJS dependencies call require() for Node built-ins; ESM output needs it defined.
  banner: {
    js: "import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);",
  },
  logLevel: 'warning',
};
