/**
 * Training in a GitLab pipeline: started with the trigger token (or the job's CI_JOB_TOKEN) where
 * one is given, else with `token`; polled to its end, since a pipeline started through the API
 * does not hold the caller; the model taken from the artifacts of the job named by `artifact`.
 * Reading a pipeline and its artifacts needs `token` either way: a trigger token can only start one.
 */
import { dirname, join } from 'node:path';
import { InputError } from '../../errors.ts';
import { formatDuration } from '../../format/duration.ts';
import type { TrainDispatchInputs } from '../../steps/train-dispatch/spec.ts';
import type { TrainOutcome, TrainRequest, TrainTarget } from '../target.ts';
import { type ForgeClient, ForgeFailure, forgeDownload, forgeJson } from './api.ts';
import { type ArtifactSpec, inDownloadDir, modelFromZip, parseArtifact } from './artifact.ts';
import {
  type Ctx,
  cancelled,
  isRefusal,
  notFound,
  outage,
  type Refusal,
  refusal,
  tailOf,
  unreachable,
  wrongToken,
} from './outcome.ts';
import { FORGE_TUNING, type ForgeTuning, poll, progressLine } from './poll.ts';
import { pipelineVariables } from './variables.ts';

interface Settings {
  url: string;
  api: string;
  project: string;
  ref: string;
  token: string;
  triggerToken: string | undefined;
  inputs: readonly string[];
  artifact: ArtifactSpec;
}

interface Pipeline {
  id: number;
  status: string;
  web_url: string;
}

interface Job {
  id: number;
  name: string;
  status: string;
  failure_reason?: string;
  web_url?: string;
}

/** A pipeline in one of these is over; `manual` waits for a person and would never end by itself. */
const FINISHED = new Set(['success', 'failed', 'canceled', 'skipped', 'manual']);

const READ_SCOPE =
  'a project, group or personal access token with the read_api scope (api to start the pipeline without a trigger token) and at least the Reporter role on the project';

export function gitlabTarget(inputs: TrainDispatchInputs, tuning: ForgeTuning = FORGE_TUNING): TrainTarget {
  const s = settings(inputs);
  return { run: (request, ctx) => train(s, request, ctx, tuning) };
}

function settings(inputs: TrainDispatchInputs): Settings {
  const project = inputs.project;
  if (!project)
    throw new InputError("target gitlab needs 'project'", {
      where: { path: 'project' },
      fix: 'Set it to the path (group/name) or numeric id of the project whose pipeline trains.',
    });
  const token = inputs.token;
  if (!token)
    throw new InputError("target gitlab needs 'token' to follow the pipeline and fetch its artifacts", {
      where: { path: 'token' },
      fix: `Pass ${READ_SCOPE}.`,
    });
  for (const [name, value] of [
    ['token', token],
    ['trigger-token', inputs['trigger-token']],
  ] as const)
    if (value && /\s/.test(value))
      throw new InputError('the token contains spaces or line breaks', {
        where: { path: name },
        fix: 'Store the token alone, without quotes or line breaks.',
      });
  const url = inputs['gitlab-url'].replace(/\/+$/, '');
  return {
    url,
    api: `${url}/api/v4`,
    project,
    ref: inputs.ref,
    token,
    triggerToken: inputs['trigger-token'],
    inputs: inputs.inputs,
    artifact: parseArtifact(inputs.artifact),
  };
}

async function train(
  s: Settings,
  request: TrainRequest,
  ctx: Ctx,
  tuning: ForgeTuning,
): Promise<TrainOutcome> {
  const c = client(s, ctx, tuning);
  const variables = { ...request.env, ...pipelineVariables(s.inputs, request.params) };
  const start = Date.now();
  let pipeline: Pipeline | undefined;
  try {
    pipeline = await startPipeline(c, s, variables);
    ctx.log.info(`${s.project}: the pipeline runs as ${pipeline.web_url}`);
    pipeline = await follow(c, s, pipeline, ctx, tuning);
    const took = formatDuration(Date.now() - start);
    const jobs = await jobsOf(c, s, pipeline);
    if (pipeline.status !== 'success')
      return {
        status: 'failed',
        reason:
          pipeline.status === 'manual'
            ? `the pipeline waits for a manual job after ${took}; the training needs a pipeline that runs by itself`
            : `the pipeline ended ${pipeline.status} after ${took}${failedJobs(jobs)}`,
        runUrl: pipeline.web_url,
        logTail: await failedLogTail(c, s, jobs, ctx),
      };
    ctx.log.info(`the pipeline succeeded after ${took}; fetching the artifacts of job '${s.artifact.name}'`);
    const modelFile = await fetchModel(c, s, jobs);
    if (isRefusal(modelFile))
      return { status: 'failed', reason: modelFile.failed, runUrl: pipeline.web_url, logTail: [] };
    return {
      status: 'succeeded',
      runUrl: pipeline.web_url,
      logTail: [],
      modelFile,
      scratch: dirname(modelFile),
    };
  } catch (e) {
    if (ctx.signal.aborted)
      return cancelled(ctx, pipeline?.web_url, pipeline && (() => cancelPipeline(s, pipeline!, ctx, tuning)));
    if (!(e instanceof ForgeFailure)) throw e;
    const failed = outage(e, pipeline?.web_url);
    if (failed) return failed;
    throw explain(e, s);
  }
}

/** CI_JOB_TOKEN goes in its own header; any other token is a private, project or group token. */
function tokenHeader(token: string): Record<string, string> {
  return token === process.env.CI_JOB_TOKEN ? { 'JOB-TOKEN': token } : { 'PRIVATE-TOKEN': token };
}

function client(s: Settings, ctx: Ctx, tuning: ForgeTuning): ForgeClient {
  return {
    forge: 'GitLab',
    api: s.api,
    auth: tokenHeader(s.token),
    headers: {},
    log: ctx.log,
    signal: ctx.signal,
    retry: tuning.retry,
  };
}

const projectPath = (s: Settings) => `/projects/${encodeURIComponent(s.project)}`;

/** The trigger token travels in the body, never in the URL, where proxies and logs keep queries. */
async function startPipeline(
  c: ForgeClient,
  s: Settings,
  variables: Record<string, string>,
): Promise<Pipeline> {
  if (s.triggerToken) {
    const trigger = { ...c, auth: {} };
    const body = { token: s.triggerToken, ref: s.ref, variables };
    return (await forgeJson<Pipeline>(trigger, 'POST', `${projectPath(s)}/trigger/pipeline`, body)).data;
  }
  const list = Object.entries(variables).map(([key, value]) => ({ key, value, variable_type: 'env_var' }));
  return (await forgeJson<Pipeline>(c, 'POST', `${projectPath(s)}/pipeline`, { ref: s.ref, variables: list }))
    .data;
}

async function follow(c: ForgeClient, s: Settings, first: Pipeline, ctx: Ctx, tuning: ForgeTuning) {
  let pipeline = first;
  const done = await poll(
    async (elapsed) => {
      if (elapsed > 0)
        pipeline = (await forgeJson<Pipeline>(c, 'GET', `${projectPath(s)}/pipelines/${pipeline.id}`)).data;
      if (FINISHED.has(pipeline.status)) return pipeline;
      const jobs = await jobsOf(c, s, pipeline);
      const count = { done: jobs.filter((j) => FINISHED.has(j.status)).length, total: jobs.length };
      ctx.log.progress(`pipeline ${pipeline.id} ${progressLine(pipeline.status, count, elapsed)}`);
      return undefined;
    },
    { signal: ctx.signal, tuning: tuning.poll },
  );
  return done ?? pipeline;
}

async function jobsOf(c: ForgeClient, s: Settings, p: Pipeline): Promise<Job[]> {
  const { data } = await forgeJson<Job[]>(c, 'GET', `${projectPath(s)}/pipelines/${p.id}/jobs?per_page=100`);
  return Array.isArray(data) ? data : [];
}

function failedJobs(jobs: Job[]): string {
  const failed = jobs.filter((j) => j.status === 'failed');
  if (!failed.length) return '';
  return `: ${failed.map((j) => `job '${j.name}' failed${j.failure_reason ? ` (${j.failure_reason})` : ''}`).join(', ')}`;
}

async function failedLogTail(c: ForgeClient, s: Settings, jobs: Job[], ctx: Ctx): Promise<string[]> {
  const failed = jobs.filter((j) => j.status === 'failed');
  try {
    return await tailOf(
      c,
      failed.map((j) => ({ name: j.name, path: `${projectPath(s)}/jobs/${j.id}/trace` })),
    );
  } catch (e) {
    ctx.log.debug(`no log tail: ${(e as Error).message}`);
    return [];
  }
}

/** The model's path, or why there is none: with `name:path`, that one file; else the job's artifacts zip. */
async function fetchModel(c: ForgeClient, s: Settings, jobs: Job[]): Promise<string | Refusal> {
  const job = jobs.find((j) => j.name === s.artifact.name);
  if (!job) {
    const names = jobs.map((j) => `'${j.name}'`).join(', ') || 'none';
    return refusal(`the pipeline has no job named '${s.artifact.name}' (jobs: ${names})`);
  }
  const artifacts = `${projectPath(s)}/jobs/${job.id}/artifacts`;
  return inDownloadDir(async (dir): Promise<string | Refusal> => {
    if (s.artifact.path) {
      const dest = join(dir, s.artifact.path.split('/').pop()!);
      const file = s.artifact.path.split('/').map(encodeURIComponent).join('/');
      await forgeDownload(c, `${artifacts}/${file}`, dest).catch((e) => {
        throw e instanceof ForgeFailure && e.status === 404 ? noFile(s, job) : e;
      });
      return dest;
    }
    const zip = join(dir, 'artifacts.zip');
    try {
      await forgeDownload(c, artifacts, zip);
    } catch (e) {
      if (e instanceof ForgeFailure && e.status === 404)
        return refusal(`job '${job.name}' kept no artifacts (${job.web_url ?? 'see the pipeline'})`);
      throw e;
    }
    return modelFromZip(zip, s.artifact, `the artifacts of job '${job.name}'`);
  });
}

const noFile = (s: Settings, job: Job) =>
  new InputError(`the artifacts of job '${job.name}' hold no file '${s.artifact.path}'`, {
    where: { path: 'artifact' },
    fix: `Name a file the job keeps under artifacts:paths, as job:path (${job.web_url ?? 'see the job'}).`,
  });

async function cancelPipeline(s: Settings, p: Pipeline, ctx: Ctx, tuning: ForgeTuning): Promise<void> {
  const c = client(s, { log: ctx.log, signal: AbortSignal.timeout(30_000) }, tuning);
  await forgeJson(c, 'POST', `${projectPath(s)}/pipelines/${p.id}/cancel`);
}

function explain(f: ForgeFailure, s: Settings): Error {
  const trigger = /\/trigger\/pipeline$/.test(f.path);
  const said = `(${f.status}: ${f.detail})`;
  if (trigger && (f.status === 401 || f.status === 403 || f.status === 404))
    return wrongToken(
      'trigger-token',
      `GitLab refused the trigger token for project ${s.project} ${said}`,
      `a pipeline trigger token of ${s.project} (Settings › CI/CD › Pipeline trigger tokens), or CI_JOB_TOKEN where ${s.project} allows this project's job tokens; check project too`,
    );
  if (f.status === 401) return wrongToken('token', `GitLab rejected the token ${said}`, READ_SCOPE);
  if (f.status === 403)
    return wrongToken('token', `the token may not do ${f.method} ${f.path} ${said}`, READ_SCOPE);
  if (f.status === 404 && /^\/api\/v4\/projects\/[^/]+\/pipeline$/.test(f.path))
    return notFound(
      'project',
      `project ${s.project} was not found at ${s.url} ${said}`,
      `Check project (group/name or the numeric id); GitLab also answers 404 to a token that cannot see it. Pass ${READ_SCOPE}.`,
    );
  if (f.status === 400 && /pipeline$/.test(f.path))
    return new InputError(`GitLab refused to start a pipeline of ${s.project} on '${s.ref}' ${said}`, {
      where: { path: /reference|ref\b/i.test(f.detail) ? 'ref' : 'inputs' },
      fix: 'ref must be a branch or tag of the project, and its .gitlab-ci.yml must give the pipeline at least one job.',
    });
  if (f.status === 0) return unreachable(f, 'gitlab-url', s.url);
  return new Error(`GitLab API ${f.message}`);
}
