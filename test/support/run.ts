/** Runs what users run (the bundled action, the CLI) as child processes and captures the result. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const ROOT = join(import.meta.dirname, '..', '..');
export const ACTION = (step: string) => join(ROOT, 'dist', 'actions', `${step}.mjs`);
export const CLI = join(ROOT, 'dist', 'cli.mjs');
/** The Node the tests run on: the pinned Node 24 when started through npm scripts. */
export const NODE = process.execPath;

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const { uid, gid } = options;
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      ...(uid !== undefined && { uid }),
      ...(gid !== undefined && { gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An environment without the CI variables of whatever runs the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(INPUT_|GITHUB_|GITLAB_|CI_|MODELSHIP_|RUNNER_|ACTIONS_)/.test(k) || k === 'CI') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export async function tempDir(
  t: TestContext | { after: (fn: () => Promise<void>) => void },
  prefix = 'modelship-',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A stack trace line: users must never see one for bad data or bad configuration. */
export const STACK = /^\s+at .+:\d+:\d+\)?$/m;
