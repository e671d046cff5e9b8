/**
 * A GitLab project that mirrors gitlab-components/ (templates at its root, as GitLab wants) plus
 * the example files, committed so a pipeline can include the components `@$CI_COMMIT_SHA`, run
 * by gitlab-ci-local with the shell executor. The templates are made from the step schemas here,
 * as `npm run gen` makes them (CI fails when the committed copies differ), so a test always runs
 * the components the code describes.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentTemplate } from '../../packages/core/src/faces/component.ts';
import { STEPS } from '../../packages/core/src/steps/catalog.ts';
import { CLI, cleanEnv, NODE, ROOT, run } from './run.ts';

const GCL = join(ROOT, 'node_modules', '.bin', 'gitlab-ci-local');

export async function project(dir: string, pipeline: string, examples: string[] = ['data', 'contract.yml']) {
  await mkdir(join(dir, 'templates'));
  for (const { spec } of STEPS)
    await writeFile(join(dir, 'templates', `${spec.id}.yml`), componentTemplate(spec));
  await mkdir(join(dir, 'examples'), { recursive: true });
  for (const e of examples)
    await cp(join(ROOT, 'examples', e), join(dir, 'examples', e), { recursive: true });
  await writeFile(join(dir, '.gitlab-ci.yml'), pipeline);
  // What the jobs write into the checkout, and gitlab-ci-local's own files, are no part of a commit.
  await writeFile(join(dir, '.gitignore'), 'modelship-reports/\n.gitlab-ci-local*\n');
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'remote', 'add', 'origin', 'git@gitlab.com:modelship/components.git');
  await commit(dir, 'components under test');
}

const git = (dir: string, ...args: string[]) => run('git', args, { cwd: dir, env: cleanEnv() });

/** Commits everything in the project, as a push to main would bring it. */
export async function commit(dir: string, message: string) {
  await git(dir, 'add', '-A');
  const r = await git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', message);
  if (r.code !== 0) throw new Error(`git commit failed: ${r.stderr}`);
}

/** gitlab-ci-local on the project's pipeline; `args` picks jobs (`--manual`, a job's name) or sets `--input`s. */
export const gcl = (dir: string, env: Record<string, string> = {}, args: string[] = []) =>
  run(NODE, [GCL, '--force-shell-executor', '--no-color', '--cwd', '.', ...args], {
    cwd: dir,
    env: cleanEnv({ HOME: dir, ...env }),
  });

/** A pipeline including a component at the commit under test, the CLI bundle from this checkout. */
export function including(step: string, inputs: Record<string, string | boolean>, rest = ''): string {
  const lines = Object.entries({ cli: `${NODE} ${CLI}`, ...inputs }).map(
    ([k, v]) => `      ${k}: ${JSON.stringify(v)}`,
  );
  return `include:
  - component: $CI_SERVER_FQDN/modelship/components/${step}@$CI_COMMIT_SHA
    inputs:
${lines.join('\n')}
${rest}`;
}
