#!/usr/bin/env node
/**
 * The `modelship` command. The rest of the CLI is written for Node 24 and an older Node fails
 * on it with a cryptic SyntaxError, so this file is all that is parsed before the version is
 * checked: it must import nothing statically and use no syntax newer than Node 14's.
 */
const NEEDED = 24;
const running = process.versions.node;
if (Number(running.split('.')[0]) < NEEDED) {
  process.stderr.write(
    `error: modelship needs Node ${NEEDED} or newer, and this is Node ${running}. Install Node ${NEEDED} (on GitHub: actions/setup-node with node-version: ${NEEDED}; in a container: the node:${NEEDED} image) and run it again.\n`,
  );
  process.exit(2);
}
// The bundle is a few MB of JavaScript compiled on every start; Node's on-disk compile cache
// (in the temp folder, keyed by file content) saves a few hundred milliseconds on each later run.
const { enableCompileCache } = await import('node:module');
enableCompileCache();
await import('./main.ts');
