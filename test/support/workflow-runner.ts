/**
 * A GitHub Actions workflow file run on this machine the way the runner runs it, for the example
 * pipelines' tests: the file itself is read (never a copy of its wiring), jobs run one at a time
 * in `needs` order, job and step `if:` and every `${{ }}` are evaluated by GitHub's own evaluator
 * (workflow-expressions.ts) over the github, env, vars, secrets, steps, needs and job contexts,
 * step outputs feed `steps.<id>.outputs`, job `outputs:` are evaluated when the job ends and feed
 * `needs.<job>.outputs`, and `needs.<job>.result` is success, failure or skipped. Steps run as
 * workflow-actions.ts says. Secrets of an `environment:` reach only the jobs that name it.
 *
 * What differs from github.com is given by the test, in one place, as `overrides` (workflow env
 * values, and inputs added or replaced per `job.step-id`); each must name something in the file.
 * runs-on, permissions, concurrency and timeout-minutes are read past: there is one machine, one
 * run and the test's own timeout. Any other key this runner does not know fails the run, so a
 * change to the file cannot be skipped unseen.
 *
 *   const run = await runWorkflow(t, { file: 'examples/github/lifecycle.yml', checkout: ['examples'], … });
 *   run.jobs.deploy!.result; run.jobs.package!.outputs.image;
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT, tempDir } from './run.ts';
import { runStep, type StepOutput } from './workflow-actions.ts';
import { type Contexts, condition, interpolate, type Status } from './workflow-expressions.ts';

const sh = promisify(execFile);

export type Result = 'success' | 'failure' | 'skipped';

export interface StepRun extends StepOutput {
  name: string;
  id: string;
  outcome: Result;
  /** The inputs it was given, evaluated and overridden (secrets included: never print them). */
  with: Record<string, string>;
}

export interface JobRun {
  result: Result;
  outputs: Record<string, string>;
  steps: StepRun[];
}

export interface WorkflowRun {
  /** Job ids in the order they ran (skipped ones included). */
  order: string[];
  jobs: Record<string, JobRun>;
  /** The commit the run was for (what checkout checked out). */
  sha: string;
  /** The uploaded artifacts, a folder each by name. */
  artifacts: string;
}

export interface WorkflowOptions {
  /** The workflow: relative to the repository root, or absolute. */
  file: string;
  /** The repository's paths committed for the run: what actions/checkout gives a job. */
  checkout: string[];
  github: { run_number: number; repository: string; actor: string; ref_name: string; event_name: 'push' };
  vars?: Record<string, string>;
  /** Repository secrets; GITHUB_TOKEN among them, as the runner gives every job. */
  secrets: Record<string, string> & { GITHUB_TOKEN: string };
  /** Environment name → its secrets, for the jobs whose `environment:` names it. */
  environments?: Record<string, Record<string, string>>;
  overrides?: {
    /** Workflow `env:` values replaced before evaluation. */
    env?: Record<string, string>;
    /** `job.step-id` → inputs added to or replacing the step's `with:`. */
    inputs?: Record<string, Record<string, string>>;
  };
  /** Called before a job that runs starts its steps (e.g. to start traffic). */
  beforeJob?(job: string): unknown;
  log?(line: string): void;
}

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: unknown;
  'continue-on-error'?: boolean;
}

interface Job {
  needs?: string | string[];
  if?: unknown;
  env?: Record<string, unknown>;
  outputs?: Record<string, string>;
  environment?: string | { name: string };
  steps: Step[];
}

interface Workflow {
  name?: string;
  on: { push?: { branches?: string[] } };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const KNOWN = {
  workflow: ['name', 'on', 'env', 'jobs', 'concurrency', 'permissions'],
  job: [
    'name',
    'runs-on',
    'needs',
    'if',
    'env',
    'outputs',
    'steps',
    'environment',
    'concurrency',
    'permissions',
    'timeout-minutes',
  ],
  step: ['id', 'name', 'uses', 'run', 'with', 'env', 'if', 'continue-on-error', 'timeout-minutes'],
};

function known(o: object, keys: string[], where: string) {
  const unknown = Object.keys(o).filter((k) => !keys.includes(k));
  if (unknown.length) throw new Error(`${where}: ${unknown.join(', ')}: not something this runner runs`);
}

const needsOf = (job: Job) => [job.needs ?? []].flat();

export async function runWorkflow(t: TestContext, o: WorkflowOptions): Promise<WorkflowRun> {
  const wf = parse(await readFile(resolve(ROOT, o.file), 'utf8')) as Workflow;
  known(wf, KNOWN.workflow, o.file);
  checkOverrides(wf, o);
  const branches = wf.on.push?.branches;
  if (o.github.event_name !== 'push' || (branches && !branches.includes(o.github.ref_name)))
    throw new Error(`${o.file} does not run on a ${o.github.event_name} to ${o.github.ref_name}`);
  const repo = await commit(t, o.checkout, o.github.ref_name);
  const artifacts = await tempDir(t, 'modelship-artifacts-');
  const run: WorkflowRun = { order: [], jobs: {}, sha: repo.sha, artifacts };
  const github = githubContext(o, repo.sha, wf.name ?? o.file);
  const base = { github, vars: o.vars ?? {}, inputs: {} };
  const env = evaluateEnv({ ...wf.env, ...o.overrides?.env }, { ...base, secrets: o.secrets }, ALWAYS);
  for (const id of jobOrder(wf)) {
    const job = wf.jobs[id]!;
    known(job, KNOWN.job, `${o.file}: jobs.${id}`);
    const ctx = { ...o, repo, artifacts, env, base: { ...base, github: { ...github, job: id } } };
    run.jobs[id] = await runJob(t, id, job, wf, run, ctx);
    run.order.push(id);
    o.log?.(`job ${id}: ${run.jobs[id]!.result}`);
  }
  return run;
}

const ALWAYS: Status = { success: () => true, failure: () => false };

/** Each override names an env value or a step the file has: an override of nothing is a stale test. */
function checkOverrides(wf: Workflow, o: WorkflowOptions) {
  for (const name of Object.keys(o.overrides?.env ?? {}))
    if (!(name in (wf.env ?? {}))) throw new Error(`override of env ${name}, which ${o.file} does not set`);
  for (const key of Object.keys(o.overrides?.inputs ?? {})) {
    const [job, step] = key.split('.');
    if (!wf.jobs[job!]?.steps.some((s) => s.id === step))
      throw new Error(`override of ${key}'s inputs: ${o.file} has no step ${step} in job ${job}`);
  }
}

/** Jobs whose needs have all run, in the file's order, until none is left. */
function jobOrder(wf: Workflow): string[] {
  const order: string[] = [];
  const left = Object.keys(wf.jobs);
  while (left.length) {
    const next = left.find((id) => needsOf(wf.jobs[id]!).every((n) => order.includes(n)));
    if (!next) throw new Error(`jobs ${left.join(', ')} need jobs that never run (a cycle or a typo)`);
    order.push(next);
    left.splice(left.indexOf(next), 1);
  }
  return order;
}

/** The run's repository: the given paths, committed once; checkout clones this commit. */
async function commit(t: TestContext, paths: string[], branch: string) {
  const repository = await tempDir(t, 'modelship-repo-');
  for (const p of paths) await cp(join(ROOT, p), join(repository, p), { recursive: true });
  const who = { GIT_AUTHOR_NAME: 'octocat', GIT_AUTHOR_EMAIL: 'octocat@example.com' };
  const env = {
    ...process.env,
    ...who,
    GIT_COMMITTER_NAME: 'octocat',
    GIT_COMMITTER_EMAIL: who.GIT_AUTHOR_EMAIL,
  };
  const git = (...args: string[]) =>
    sh('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repository, env });
  await git('init', '--quiet', `--initial-branch=${branch}`);
  await git('add', '-A');
  await git('commit', '--quiet', '-m', 'the example project');
  const sha = (await git('rev-parse', 'HEAD')).stdout.trim();
  return { repository, sha };
}

function githubContext(o: WorkflowOptions, sha: string, workflow: string) {
  const g = o.github;
  return {
    ...g,
    run_number: String(g.run_number),
    run_id: String(4200 + g.run_number),
    run_attempt: '1',
    sha,
    ref: `refs/heads/${g.ref_name}`,
    repository_owner: g.repository.split('/')[0]!,
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
    workflow,
    token: o.secrets.GITHUB_TOKEN,
    event: { ref: `refs/heads/${g.ref_name}`, after: sha, repository: { full_name: g.repository } },
  };
}

function evaluateEnv(env: Record<string, unknown> | undefined, ctx: Contexts, status: Status) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = interpolate(v, ctx, status);
  return out;
}

interface RunContext extends WorkflowOptions {
  repo: { repository: string; sha: string };
  artifacts: string;
  env: Record<string, string>;
  base: { github: ReturnType<typeof githubContext> & { job: string }; vars: Record<string, string> };
}

/** success() and failure() for a job: over every job it depends on, directly or not. */
function jobStatus(wf: Workflow, run: WorkflowRun, id: string): Status {
  const ancestors = new Set<string>();
  const visit = (j: string) => {
    for (const n of needsOf(wf.jobs[j]!)) {
      if (ancestors.has(n)) continue;
      ancestors.add(n);
      visit(n);
    }
  };
  visit(id);
  const results = [...ancestors].map((a) => run.jobs[a]!.result);
  return { success: () => results.every((r) => r === 'success'), failure: () => results.includes('failure') };
}

async function runJob(t: TestContext, id: string, job: Job, wf: Workflow, run: WorkflowRun, c: RunContext) {
  const needs = Object.fromEntries(
    needsOf(job).map((n) => [n, { result: run.jobs[n]!.result, outputs: run.jobs[n]!.outputs }]),
  );
  if (!condition(job.if, { ...c.base, needs }, jobStatus(wf, run, id)))
    return { result: 'skipped', outputs: {}, steps: [] } satisfies JobRun;
  await c.beforeJob?.(id);
  const secrets = { ...c.secrets, ...environmentSecrets(job, c, id) };
  const workspace = await tempDir(t, 'modelship-workspace-');
  const runnerTemp = await tempDir(t, 'modelship-runner-temp-');
  const ctx: Contexts = { ...c.base, needs, secrets, job: { status: 'success' }, steps: {} };
  const env = { ...c.env, ...evaluateEnv(job.env, { ...ctx, env: c.env }, ALWAYS) };
  const runner = runnerEnv(c, id, workspace, runnerTemp);
  await writeFile(runner.GITHUB_EVENT_PATH, JSON.stringify(c.base.github.event));
  const steps: StepRun[] = [];
  let failed = false;
  const status: Status = { success: () => !failed, failure: () => failed };
  for (const [i, step] of job.steps.entries()) {
    const where = `${c.file}: jobs.${id}.steps[${i}]`;
    known(step, KNOWN.step, where);
    const stepId = step.id ?? `__${i}`;
    ctx.job = { status: failed ? 'failure' : 'success' };
    const stepEnv = { ...env, ...evaluateEnv(step.env, { ...ctx, env }, status) };
    const s = { ...ctx, env: stepEnv };
    const name = step.name ?? step.uses ?? step.run ?? stepId;
    const record = (r: StepRun) => {
      steps.push(r);
      (ctx.steps as Record<string, unknown>)[stepId] = { outputs: r.outputs, outcome: r.outcome };
      c.log?.(`  ${id}.${stepId} (${name}): ${r.outcome}`);
    };
    if (!condition(step.if, s, status)) {
      record({ ...skippedStep, name, id: stepId, with: {} });
      continue;
    }
    const given = evaluateEnv(step.with, s, status);
    const withs = { ...given, ...c.overrides?.inputs?.[`${id}.${step.id}`] };
    const out = await runStep({
      where,
      ...(step.uses !== undefined && { uses: step.uses }),
      ...(step.run !== undefined && { script: interpolate(step.run, s, status) }),
      with: withs,
      env: { ...stepEnv, ...runner, GITHUB_ACTION: stepId },
      workspace,
      dir: await mkdtemp(join(runnerTemp, 'step-')),
      repository: c.repo.repository,
      sha: c.repo.sha,
      artifacts: c.artifacts,
      interpolate: (v) => interpolate(v, s, status),
    });
    const outcome: Result = out.code === 0 ? 'success' : 'failure';
    if (outcome === 'failure' && !step['continue-on-error']) failed = true;
    record({ ...out, ...mask(out, secrets), name, id: stepId, outcome, with: withs });
  }
  ctx.job = { status: failed ? 'failure' : 'success' };
  const outputs = evaluateEnv(job.outputs, { ...ctx, env }, status);
  return { result: failed ? 'failure' : 'success', outputs, steps } satisfies JobRun;
}

const skippedStep: Omit<StepRun, 'name' | 'id' | 'with'> = {
  code: null,
  stdout: '',
  stderr: '',
  outputs: {},
  summary: '',
  warnings: [],
  outcome: 'skipped',
};

function environmentSecrets(job: Job, c: RunContext, id: string): Record<string, string> {
  if (!job.environment) return {};
  const name = typeof job.environment === 'string' ? job.environment : job.environment.name;
  const secrets = c.environments?.[name];
  if (!secrets) throw new Error(`jobs.${id} runs in environment ${name}, which the test does not give`);
  return secrets;
}

/** The variables the runner sets for every step. */
function runnerEnv(c: RunContext, job: string, workspace: string, temp: string) {
  const g = c.base.github;
  return {
    CI: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: g.sha,
    GITHUB_REF: g.ref,
    GITHUB_REF_NAME: g.ref_name,
    GITHUB_REPOSITORY: g.repository,
    GITHUB_REPOSITORY_OWNER: g.repository_owner,
    GITHUB_ACTOR: g.actor,
    GITHUB_RUN_ID: g.run_id,
    GITHUB_RUN_NUMBER: g.run_number,
    GITHUB_RUN_ATTEMPT: g.run_attempt,
    GITHUB_JOB: job,
    GITHUB_EVENT_NAME: g.event_name,
    GITHUB_EVENT_PATH: join(temp, 'event.json'),
    GITHUB_WORKFLOW: g.workflow,
    GITHUB_SERVER_URL: g.server_url,
    GITHUB_API_URL: g.api_url,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: temp,
  };
}

/** The runner's log masking: each secret, and each long line of a multi-line one, as ***. */
function mask(out: StepOutput, secrets: Record<string, string>) {
  const values = Object.values(secrets)
    .flatMap((v) => [v, ...v.split('\n').map((l) => l.trim())])
    .filter((v) => v.length >= 8)
    .sort((a, b) => b.length - a.length);
  const hide = (s: string) => values.reduce((acc, v) => acc.replaceAll(v, '***'), s);
  return { stdout: hide(out.stdout), stderr: hide(out.stderr) };
}
