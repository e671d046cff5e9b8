/**
 * A bundled action run exactly as the GitHub runner runs it: `node dist/actions/<step>.mjs` with
 * INPUT_* variables and the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, read back afterwards.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACTION, cleanEnv, NODE, ROOT, run } from './run.ts';

export async function runAction(
  step: string,
  dir: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  cwd = ROOT,
) {
  const output = join(dir, 'output.txt');
  const summary = join(dir, 'summary.md');
  await writeFile(output, '');
  await writeFile(summary, '');
  const vars = cleanEnv({
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/fraud',
    GITHUB_RUN_ID: '42',
    ...env,
  });
  for (const [k, v] of Object.entries(inputs)) vars[`INPUT_${k.toUpperCase()}`] = v;
  const ran = await run(NODE, [ACTION(step)], { env: vars, cwd });
  return {
    ...ran,
    outputs: parseOutputs(await readFile(output, 'utf8')),
    summary: await readFile(summary, 'utf8'),
  };
}

/** The runner's `name<<delimiter` format. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}
