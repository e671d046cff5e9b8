/**
 * Training in a GitHub Actions workflow of another repository: a `workflow_dispatch` with the
 * inputs and params (a workflow takes declared inputs only, so `env` is not sent), the run found (from the dispatch answer where GitHub gives its details, else by
 * a marker input in the run's name), followed to its conclusion, and the named artifact unpacked.
 *
 * Without run details (GitHub Enterprise Server before they existed) the dispatch carries the input
 * `modelship-dispatch-id`, and the callee workflow must declare it and show it in its title:
 *   on: { workflow_dispatch: { inputs: { modelship-dispatch-id: { required: false } } } }
 *   run-name: train ${{ inputs.modelship-dispatch-id }}
 */
import { randomUUID } from 'node:crypto';
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

export const MARKER_INPUT = 'modelship-dispatch-id';

interface Settings {
  api: string;
  repository: string;
  workflow: string;
  ref: string;
  token: string;
  inputs: readonly string[];
  artifact: ArtifactSpec;
}

interface Run {
  id: number;
  name?: string | null;
  display_title?: string | null;
  status: string;
  conclusion: string | null;
  html_url: string;
}

export function githubTarget(inputs: TrainDispatchInputs, tuning: ForgeTuning = FORGE_TUNING): TrainTarget {
  const s = settings(inputs);
  return { run: (request, ctx) => train(s, request, ctx, tuning) };
}

function settings(inputs: TrainDispatchInputs): Settings {
  const need = (name: 'repository' | 'workflow' | 'token', fix: string) => {
    const v = inputs[name];
    if (!v) throw new InputError(`target github needs '${name}'`, { where: { path: name }, fix });
    return v;
  };
  const repository = need('repository', 'Set it to the owner/name of the repository whose workflow trains.');
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new InputError(`'${repository}' is not owner/name`, {
      where: { path: 'repository' },
      fix: 'Write the repository as owner/name, e.g. acme/trainer.',
    });
  const token = need('token', `Pass a token allowed to run workflows in ${repository} (${SCOPE}).`);
  if (/\s/.test(token))
    throw new InputError('the token contains spaces or line breaks', {
      where: { path: 'token' },
      fix: 'Store the token alone, without quotes or line breaks.',
    });
  const api = (inputs['api-url'] || process.env.GITHUB_API_URL || 'https://api.github.com').replace(
    /\/+$/,
    '',
  );
  return {
    api,
    repository,
    workflow: need('workflow', 'Set it to the workflow file name (e.g. train.yml) or its id.'),
    ref: inputs.ref,
    token,
    inputs: inputs.inputs,
    artifact: parseArtifact(inputs.artifact),
  };
}

const SCOPE =
  'a fine-grained token with "Actions: read and write" on it, or a classic token with the repo scope; the job\'s own GITHUB_TOKEN cannot start runs in another repository';

async function train(
  s: Settings,
  request: TrainRequest,
  ctx: Ctx,
  tuning: ForgeTuning,
): Promise<TrainOutcome> {
  const c = client(s, ctx, tuning);
  const variables = pipelineVariables(s.inputs, request.params);
  const start = Date.now();
  let run: Run | undefined;
  try {
    const found = await dispatch(c, s, variables, ctx, tuning);
    if (isRefusal(found)) return { status: 'failed', reason: found.failed, logTail: [] };
    run = found;
    ctx.log.info(`${s.repository}: ${s.workflow} runs as ${run.html_url}`);
    run = await follow(c, s, run, ctx, tuning);
    const took = formatDuration(Date.now() - start);
    if (run.conclusion !== 'success')
      return {
        status: 'failed',
        reason: `the workflow run concluded ${run.conclusion ?? 'without a conclusion'} after ${took}`,
        runUrl: run.html_url,
        logTail: await failedLogTail(c, s, run, ctx),
      };
    ctx.log.info(`the run succeeded after ${took}; fetching artifact '${s.artifact.name}'`);
    const modelFile = await fetchModel(c, s, run);
    if (isRefusal(modelFile))
      return { status: 'failed', reason: modelFile.failed, runUrl: run.html_url, logTail: [] };
    return { status: 'succeeded', runUrl: run.html_url, logTail: [], modelFile, scratch: dirname(modelFile) };
  } catch (e) {
    if (ctx.signal.aborted)
      return cancelled(ctx, run?.html_url, run && (() => cancelRun(s, run!, ctx, tuning)));
    if (!(e instanceof ForgeFailure)) throw e;
    const failed = outage(e, run?.html_url);
    if (failed) return failed;
    throw explain(e, s);
  }
}

function client(s: Settings, ctx: Ctx, tuning: ForgeTuning): ForgeClient {
  return {
    forge: 'GitHub',
    api: s.api,
    auth: { Authorization: `Bearer ${s.token}` },
    headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
    log: ctx.log,
    signal: ctx.signal,
    retry: tuning.retry,
  };
}

const repo = (s: Settings) => `/repos/${s.repository}`;
const workflowPath = (s: Settings) => `${repo(s)}/actions/workflows/${encodeURIComponent(s.workflow)}`;

/** The dispatched run, or why it cannot be found. */
async function dispatch(
  c: ForgeClient,
  s: Settings,
  inputs: Record<string, string>,
  ctx: Ctx,
  tuning: ForgeTuning,
): Promise<Run | Refusal> {
  // Runs there before ours, should the server answer without the run's details.
  const earlier = new Set((await listRuns(c, s)).map((r) => r.id));
  const { reply, marker } = await post(c, s, inputs, ctx);
  const id = reply.data?.workflow_run_id;
  if (typeof id === 'number') return (await forgeJson<Run>(c, 'GET', `${repo(s)}/actions/runs/${id}`)).data;
  // The server's own clock, so a runner's skewed clock cannot hide the run; less a margin for rounding.
  const since = new Date((Date.parse(reply.headers.get('date') ?? '') || Date.now()) - 5_000);
  const ours = (r: Run) =>
    marker ? `${r.display_title ?? ''} ${r.name ?? ''}`.includes(marker) : !earlier.has(r.id);
  return (await findRun(c, s, since, ours, ctx, tuning)) ?? neverAppeared(s, marker, tuning);
}

/** The dispatch, asking for the run's details; a server from before them refuses the field, and is asked again with a marker. */
async function post(c: ForgeClient, s: Settings, inputs: Record<string, string>, ctx: Ctx) {
  const url = `${workflowPath(s)}/dispatches`;
  type Details = { workflow_run_id?: number };
  try {
    const reply = await forgeJson<Details>(c, 'POST', url, { ref: s.ref, inputs, return_run_details: true });
    return { reply, marker: undefined };
  } catch (e) {
    const refused =
      e instanceof ForgeFailure &&
      (e.status === 400 || e.status === 422) &&
      /return_run_details/.test(e.detail);
    if (!refused) throw e;
    const marker = randomUUID();
    ctx.log.info(`${c.api} gives no run details; finding the run by its ${MARKER_INPUT} ${marker}`);
    const reply = await forgeJson<Details>(c, 'POST', url, {
      ref: s.ref,
      inputs: { ...inputs, [MARKER_INPUT]: marker },
    });
    return { reply, marker };
  }
}

async function listRuns(c: ForgeClient, s: Settings, since?: Date): Promise<Run[]> {
  const query = new URLSearchParams({ event: 'workflow_dispatch', branch: s.ref, per_page: '100' });
  if (since) query.set('created', `>=${since.toISOString().replace(/\.\d+Z$/, 'Z')}`);
  const { data } = await forgeJson<{ workflow_runs?: Run[] }>(c, 'GET', `${workflowPath(s)}/runs?${query}`);
  return data?.workflow_runs ?? [];
}

/** Looks for the run among those created since the dispatch, until it shows up or the bound passes. */
async function findRun(
  c: ForgeClient,
  s: Settings,
  since: Date,
  isOurs: (r: Run) => boolean,
  ctx: Ctx,
  tuning: ForgeTuning,
): Promise<Run | Refusal | undefined> {
  return poll(
    async (elapsed) => {
      const ours = (await listRuns(c, s, since)).filter(isOurs);
      ctx.log.progress(`waiting for the dispatched run to appear, ${formatDuration(elapsed)}`);
      if (ours.length === 1) return ours[0];
      if (ours.length > 1)
        return refusal(
          `${ours.length} runs of ${s.workflow} were dispatched on ${s.ref} at the same time and GitHub did not say which is ours (${ours.map((r) => r.html_url).join(', ')})`,
        );
      return undefined;
    },
    { signal: ctx.signal, tuning: tuning.poll, boundMs: tuning.appearMs },
  );
}

function neverAppeared(s: Settings, marker: string | undefined, tuning: ForgeTuning): Refusal {
  const how = marker
    ? ` with '${marker}' in its name: the workflow must declare the input ${MARKER_INPUT} and put it in its run-name`
    : '';
  return refusal(
    `the dispatched run of ${s.workflow} in ${s.repository} did not appear within ${formatDuration(tuning.appearMs)}${how}`,
  );
}

async function follow(c: ForgeClient, s: Settings, first: Run, ctx: Ctx, tuning: ForgeTuning): Promise<Run> {
  let run = first;
  const done = await poll(
    async (elapsed) => {
      if (elapsed > 0) run = (await forgeJson<Run>(c, 'GET', `${repo(s)}/actions/runs/${run.id}`)).data;
      if (run.status === 'completed') return run;
      const jobs = await jobsOf(c, s, run);
      const count = { done: jobs.filter((j) => j.status === 'completed').length, total: jobs.length };
      ctx.log.progress(`run ${run.id} ${progressLine(run.status, count, elapsed)}`);
      return undefined;
    },
    { signal: ctx.signal, tuning: tuning.poll },
  );
  return done ?? run;
}

interface Job {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
}

async function jobsOf(c: ForgeClient, s: Settings, run: Run): Promise<Job[]> {
  const { data } = await forgeJson<{ jobs?: Job[] }>(
    c,
    'GET',
    `${repo(s)}/actions/runs/${run.id}/jobs?per_page=100`,
  );
  return data?.jobs ?? [];
}

/** The last lines of each failed job's log; a log that cannot be read costs the tail, not the verdict. */
async function failedLogTail(c: ForgeClient, s: Settings, run: Run, ctx: Ctx): Promise<string[]> {
  try {
    const failed = (await jobsOf(c, s, run)).filter((j) => j.conclusion === 'failure');
    return tailOf(
      c,
      failed.map((j) => ({ name: j.name, path: `${repo(s)}/actions/jobs/${j.id}/logs` })),
    );
  } catch (e) {
    ctx.log.debug(`no log tail: ${(e as Error).message}`);
    return [];
  }
}

interface Artifact {
  id: number;
  name: string;
  expired: boolean;
}

/** The model's path, or why there is none. */
async function fetchModel(c: ForgeClient, s: Settings, run: Run): Promise<string | Refusal> {
  const { data } = await forgeJson<{ artifacts?: Artifact[] }>(
    c,
    'GET',
    `${repo(s)}/actions/runs/${run.id}/artifacts?per_page=100`,
  );
  const all = data?.artifacts ?? [];
  const artifact = all.find((a) => a.name === s.artifact.name);
  if (!artifact) {
    const has = all.length ? `it has ${all.map((a) => `'${a.name}'`).join(', ')}` : 'it uploaded none';
    return refusal(`the run succeeded but uploaded no artifact named '${s.artifact.name}' (${has})`);
  }
  if (artifact.expired) return refusal(`the artifact '${artifact.name}' of the run has expired`);
  return inDownloadDir(async (dir) => {
    const zip = join(dir, 'artifact.zip');
    await forgeDownload(c, `${repo(s)}/actions/artifacts/${artifact.id}/zip`, zip);
    return modelFromZip(zip, s.artifact, `the artifact '${artifact.name}'`);
  });
}

async function cancelRun(s: Settings, run: Run, ctx: Ctx, tuning: ForgeTuning): Promise<void> {
  const c = client(s, { log: ctx.log, signal: AbortSignal.timeout(30_000) }, tuning);
  try {
    await forgeJson(c, 'POST', `${repo(s)}/actions/runs/${run.id}/cancel`);
  } catch (e) {
    // 409: the run finished before the cancel reached it.
    if (!(e instanceof ForgeFailure && e.status === 409)) throw e;
  }
}

function explain(f: ForgeFailure, s: Settings): Error {
  if (f.status === 401)
    return wrongToken('token', `GitHub rejected the token (${f.status}: ${f.detail})`, SCOPE);
  if (f.status === 403)
    return wrongToken(
      'token',
      `the token may not do ${f.method} ${f.path} (${f.status}: ${f.detail})`,
      SCOPE,
    );
  if (f.status === 404 && /\/actions\/workflows\/[^/]+\/(dispatches|runs)$/.test(f.path))
    return notFound(
      'workflow',
      `workflow '${s.workflow}' of ${s.repository} was not found at ${s.api} (404: ${f.detail})`,
      'Check repository and workflow (the file name under .github/workflows, or its id); a private repository also answers 404 to a token that cannot read it.',
    );
  if (f.status === 422 && /\/dispatches$/.test(f.path)) {
    const path = /\bref\b/i.test(f.detail) ? 'ref' : /input/i.test(f.detail) ? 'inputs' : 'workflow';
    return new InputError(`GitHub refused to dispatch ${s.workflow} in ${s.repository} (422: ${f.detail})`, {
      where: { path },
      fix: 'The workflow needs an on: workflow_dispatch trigger declaring every input sent (inputs and params), and ref must be a branch or tag of the repository.',
    });
  }
  if (f.status === 0) return unreachable(f, 'api-url', s.api);
  return new Error(`GitHub API ${f.message}`);
}
