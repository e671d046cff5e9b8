/**
 * What a workflow step's `uses:` or `run:` does, for workflow-runner.ts: modelship's own actions
 * run as the runner runs them (action.yml read for its defaults and entry point, the bundle started
 * by test/support/action.ts in the job's workspace), `run:` through bash, and the three
 * third-party actions the examples use, emulated as little as they need: actions/checkout clones
 * the run's commit into the workspace; upload-artifact and download-artifact copy to and from a
 * folder per artifact name. Anything else is refused by name.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { runAction } from './action.ts';
import { ACTION, cleanEnv, ROOT, run } from './run.ts';

const sh = promisify(execFile);

/** Everything a step runs with: its inputs already evaluated, its job's workspace and env. */
export interface StepInput {
  /** `job.step` for messages. */
  where: string;
  uses?: string;
  script?: string;
  with: Record<string, string>;
  env: Record<string, string>;
  workspace: string;
  /** A folder of the step's own, outside the workspace (GITHUB_OUTPUT and the summary go there). */
  dir: string;
  /** The run's git repository and commit, which checkout clones. */
  repository: string;
  sha: string;
  /** One folder per uploaded artifact, by name. */
  artifacts: string;
  /** The expression contexts' `github`, for action.yml defaults such as `${{ github.token }}`. */
  interpolate(value: string): string;
}

export interface StepOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** What the runner would warn about, e.g. an input the action does not declare. */
  warnings: string[];
}

const MODELSHIP = /^modelship\/modelship\/actions\/([\w-]+)@v1$/;

/** The step's effect; throws for a `uses:` this runner does not know, so none is skipped unseen. */
export function runStep(s: StepInput): Promise<StepOutput> {
  if (s.script !== undefined) return runScript(s);
  const uses = s.uses ?? '';
  const modelship = MODELSHIP.exec(uses);
  if (modelship) return modelshipAction(s, modelship[1]!);
  const emulated = EMULATED[uses];
  if (!emulated) throw new Error(`${s.where}: uses ${uses}, which this runner does not emulate`);
  const unknown = Object.keys(s.with).filter((k) => !emulated.inputs.includes(k));
  if (unknown.length)
    throw new Error(`${s.where}: ${uses} with ${unknown.join(', ')}, which this runner does not emulate`);
  return emulated.run(s);
}

interface Emulated {
  inputs: string[];
  run(s: StepInput): Promise<StepOutput>;
}

const EMULATED: Record<string, Emulated> = {
  'actions/checkout@v4': { inputs: [], run: checkout },
  'actions/upload-artifact@v4': { inputs: ['name', 'path', 'if-no-files-found'], run: upload },
  'actions/download-artifact@v4': { inputs: ['name', 'path'], run: download },
};

const done = (stdout = '', warnings: string[] = []): StepOutput => ({
  code: 0,
  stdout,
  stderr: '',
  outputs: {},
  summary: '',
  warnings,
});
const failed = (stderr: string): StepOutput => ({ ...done(), code: 1, stderr });

/** The run's commit, checked out at the workspace's root as actions/checkout does. */
async function checkout(s: StepInput): Promise<StepOutput> {
  await sh('git', ['clone', '--quiet', s.repository, '.'], { cwd: s.workspace });
  await sh('git', ['checkout', '--quiet', '--detach', s.sha], { cwd: s.workspace });
  return done(`checked out ${s.sha}`);
}

/** upload-artifact@v4: a file lands at the artifact's root, a folder's contents do; a name is uploaded once. */
async function upload(s: StepInput): Promise<StepOutput> {
  const { name = 'artifact', path } = s.with;
  if (!path) return failed('Input required and not supplied: path');
  const to = join(s.artifacts, name);
  if (await stat(to).catch(() => undefined))
    return failed(`an artifact named ${name} was already uploaded in this run (Conflict)`);
  const from = resolve(s.workspace, path);
  const found = await stat(from).catch(() => undefined);
  if (!found) {
    const warning = `No files were found with the provided path: ${path}. No artifacts will be uploaded.`;
    return s.with['if-no-files-found'] === 'error' ? failed(warning) : done('', [warning]);
  }
  await mkdir(to, { recursive: true });
  await cp(from, found.isDirectory() ? to : join(to, basename(from)), { recursive: true });
  return done(`uploaded ${name}`);
}

/** download-artifact@v4 by name: the artifact's files into `path` (the workspace by default). */
async function download(s: StepInput): Promise<StepOutput> {
  const { name, path = '.' } = s.with;
  if (!name) throw new Error(`${s.where}: download-artifact without a name is not emulated`);
  const from = join(s.artifacts, name);
  if (!(await stat(from).catch(() => undefined))) return failed(`Artifact not found for name: ${name}`);
  const to = resolve(s.workspace, path);
  await mkdir(to, { recursive: true });
  for (const f of await readdir(from)) await cp(join(from, f), join(to, f), { recursive: true });
  return done(`downloaded ${name} to ${path}`);
}

interface ActionYml {
  inputs?: Record<string, { default?: string }>;
  runs: { using: string; main: string };
}

/**
 * A modelship action as the runner runs it: every input action.yml declares, given or defaulted
 * (defaults evaluated, e.g. `${{ github.token }}`), as INPUT_*; inputs it does not declare are
 * passed too and warned about, as the runner does.
 */
async function modelshipAction(s: StepInput, step: string): Promise<StepOutput> {
  const dir = join(ROOT, 'actions', step);
  const yml = parse(await readFile(join(dir, 'action.yml'), 'utf8')) as ActionYml;
  if (yml.runs.using !== 'node24' || resolve(dir, yml.runs.main) !== ACTION(step))
    throw new Error(`${s.where}: actions/${step}/action.yml runs ${yml.runs.main}, not the bundle`);
  const declared = yml.inputs ?? {};
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared))
    if (spec.default !== undefined) inputs[name] = s.interpolate(spec.default);
  Object.assign(inputs, s.with);
  const unexpected = Object.keys(s.with).filter((k) => !(k in declared));
  const warnings = unexpected.length
    ? [
        `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are [${Object.keys(declared).join(', ')}]`,
      ]
    : [];
  const ran = await runAction(step, s.dir, inputs, s.env, s.workspace);
  return { ...ran, warnings };
}

/** `run:` as the runner's default shell runs it: bash -e -o pipefail on a script file. */
async function runScript(s: StepInput): Promise<StepOutput> {
  const script = join(s.dir, 'script.sh');
  const output = join(s.dir, 'output.txt');
  await writeFile(script, s.script!);
  await writeFile(output, '');
  const ran = await run('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', script], {
    cwd: s.workspace,
    env: cleanEnv({ ...s.env, GITHUB_OUTPUT: output }),
  });
  return { ...ran, outputs: outputsOf(await readFile(output, 'utf8')), summary: '', warnings: [] };
}

/** GITHUB_OUTPUT's two forms: `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks. */
function outputsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const block = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (block) {
      const end = lines.indexOf(block[2]!, i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: ${block[1]} never ends (no line ${block[2]})`);
      out[block[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const line = /^([\w-]+)=(.*)$/.exec(lines[i]!);
    if (line) out[line[1]!] = line[2]!;
  }
  return out;
}
