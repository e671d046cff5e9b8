/**
 * For tests only: GitHub's Actions API (workflow dispatch, runs, jobs, logs, artifacts) and
 * GitLab's pipelines API (trigger, pipelines, jobs, traces, artifacts) on 127.0.0.1, answering in
 * the shapes the real ones send, as forge-fakes.ts does for comments. Each dispatched run follows
 * the next Plan a test queued: how many polls it takes, how it ends, what it uploads. GitHub's
 * artifact and log downloads redirect to a second server, standing in for its blob storage on
 * another host, which records whether a token reached it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Failure, Seen } from './forge-fakes.ts';
import { type ZipInput, zipOf } from './zip.ts';

export type { Failure, Seen };

export interface Plan {
  /** Looks at the run (GET) before it completes; default 1. */
  polls?: number;
  conclusion?: 'success' | 'failure';
  /** GitHub: the run never shows up, neither in the dispatch answer nor in the run list. */
  hidden?: boolean;
  /** Job names; default ['train', 'model']. The first one fails when the run fails. */
  jobs?: string[];
  /** GitHub: artifact name → files; GitLab: job name → the files of its artifacts. Default: model.onnx in 'model'. */
  artifacts?: Record<string, ZipInput[]>;
  /** The log of the job that fails. */
  log?: string;
}

export const MODEL_BYTES = Buffer.from('an onnx model, byte for byte');
const DEFAULT_PLAN: Plan = { artifacts: { model: [{ name: 'model.onnx', data: MODEL_BYTES }] } };

interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is, not as JSON. */
  raw?: Buffer | string;
  headers?: Record<string, string>;
}

interface FakeRun {
  id: number;
  plan: Plan;
  ref: string;
  inputs: Record<string, string>;
  looks: number;
  status: string;
  conclusion: string | null;
  created: string;
  jobs: { id: number; name: string }[];
  artifacts: { id: number; name: string; files: ZipInput[] }[];
}

/** What both fakes share: the plans, the runs, the failure queue, the request log, the servers. */
abstract class FakeActions {
  readonly plans: Plan[] = [];
  readonly runs: FakeRun[] = [];
  readonly failures: (Failure & { path?: RegExp })[] = [];
  readonly seen: Seen[] = [];
  /** Requests that reached the blob store, with their headers. */
  readonly blobSeen: Seen[] = [];
  /** Runs cancelled through the API, by id. */
  readonly cancelled: number[] = [];
  url = '';
  blobUrl = '';
  protected nextId = 4_100_000;
  private servers: Server[] = [];
  readonly token: string;

  constructor(token: string) {
    this.token = token;
  }

  plan(...plans: Plan[]): this {
    this.plans.push(...plans);
    return this;
  }

  async start(): Promise<this> {
    this.url = await this.listen((req, res) => void this.handle(req, res));
    this.blobUrl = await this.listen((req, res) => this.blob(req, res));
    return this;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
  }

  private async listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  protected newRun(plan: Plan, ref: string, inputs: Record<string, string>): FakeRun {
    const id = this.nextId++;
    const run: FakeRun = {
      id,
      plan,
      ref,
      inputs,
      looks: 0,
      status: 'queued',
      conclusion: null,
      created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      jobs: (plan.jobs ?? ['train', 'model']).map((name, i) => ({ id: id * 10 + i, name })),
      artifacts: Object.entries(plan.artifacts ?? {}).map(([name, files], i) => ({
        id: id * 10 + i,
        name,
        files,
      })),
    };
    this.runs.push(run);
    return run;
  }

  protected nextPlan(): Plan {
    return { ...DEFAULT_PLAN, ...this.plans.shift() };
  }

  /** Every look moves the run on: queued, running, then its end after `polls` looks. */
  protected look(run: FakeRun): void {
    if (run.conclusion !== null) return;
    run.looks++;
    run.status = 'in_progress';
    if (run.looks >= (run.plan.polls ?? 1)) {
      run.status = 'completed';
      run.conclusion = run.plan.conclusion ?? 'success';
    }
  }

  protected cancel(run: FakeRun): boolean {
    if (run.status === 'completed') return false;
    run.status = 'completed';
    run.conclusion = 'cancelled';
    this.cancelled.push(run.id);
    return true;
  }

  protected jobFailed = (run: FakeRun, index: number) => run.conclusion === 'failure' && index === 0;

  protected logOf(run: FakeRun, index: number): string {
    return this.jobFailed(run, index) ? (run.plan.log ?? 'Traceback: training failed\n') : 'done\n';
  }

  protected abstract route(
    method: string,
    url: URL,
    body: Record<string, unknown>,
    req: IncomingMessage,
  ): Reply;
  protected abstract failureBody(status: number): unknown;

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', this.url);
    this.seen.push({ method, url: req.url ?? '', headers: req.headers });
    const i = this.failures.findIndex(
      (f) => (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname)),
    );
    const failure = i >= 0 ? this.failures.splice(i, 1)[0] : undefined;
    if (failure?.hang) return; // closeAllConnections() ends it
    const reply: Reply = failure
      ? { status: failure.status, body: this.failureBody(failure.status), headers: failure.headers ?? {} }
      : this.route(method, url, text ? (JSON.parse(text) as Record<string, unknown>) : {}, req);
    send(res, reply);
  }

  /** The blob store: a signed URL is its own credential; a token has no business here. */
  private blob(req: IncomingMessage, res: ServerResponse) {
    this.blobSeen.push({ method: req.method ?? 'GET', url: req.url ?? '', headers: req.headers });
    const m = /^\/(artifact|log)\/(\d+)\/(\d+)\?sig=ok$/.exec(req.url ?? '');
    const run = m && this.runs.find((r) => r.id === Number(m[2]));
    if (!m || !run)
      return send(res, { status: 403, raw: '<Error><Code>AuthenticationFailed</Code></Error>' });
    if (m[1] === 'log') {
      const index = run.jobs.findIndex((j) => j.id === Number(m[3]));
      return send(res, {
        status: 200,
        raw: this.logOf(run, index),
        headers: { 'Content-Type': 'text/plain' },
      });
    }
    const artifact = run.artifacts.find((a) => a.id === Number(m[3]));
    send(res, {
      status: 200,
      raw: zipOf(artifact?.files ?? []),
      headers: { 'Content-Type': 'application/zip' },
    });
  }
}

function send(res: ServerResponse, reply: Reply) {
  const raw = reply.raw !== undefined;
  res.writeHead(reply.status, {
    ...(raw ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    ...reply.headers,
  });
  res.end(raw ? reply.raw : reply.body === undefined ? '' : JSON.stringify(reply.body));
}

/** api.github.com: /repos/{owner}/{repo}/actions/… */
export class FakeGitHubActions extends FakeActions {
  readonly repository = 'acme/trainer';
  readonly workflow = 'train.yml';
  readonly workflowId = 161335;
  readonly refs = new Set(['main', 'v1']);
  /** Inputs the workflow declares; others are refused, as GitHub does. */
  readonly declared = new Set(['epochs', 'learning-rate', 'dataset', 'modelship-dispatch-id']);
  /**
   * details: return_run_details honoured (github.com today); refused: a server from before it,
   * which rejects the field; ignored: one that accepts it and answers 204 anyway.
   */
  runDetails: 'details' | 'refused' | 'ignored' = 'details';

  protected route(method: string, url: URL, body: Record<string, unknown>, req: IncomingMessage): Reply {
    if (!req.headers['user-agent'])
      return { status: 403, body: { message: 'Request forbidden by administrative rules.' } };
    const token = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token !== this.token) return { status: 401, body: this.failureBody(401) };
    const prefix = `/repos/${this.repository}/actions`;
    if (!url.pathname.startsWith(`${prefix}/`)) return { status: 404, body: this.failureBody(404) };
    const path = url.pathname.slice(prefix.length);
    const wf = /^\/workflows\/([^/]+)\/(dispatches|runs)$/.exec(path);
    if (wf) return this.workflowRoute(method, decodeURIComponent(wf[1]!), wf[2]!, url, body);
    const run = /^\/runs\/(\d+)(\/jobs|\/artifacts|\/cancel)?$/.exec(path);
    if (run) return this.runRoute(method, Number(run[1]), run[2]);
    const file = /^\/(artifacts|jobs)\/(\d+)\/(zip|logs)$/.exec(path);
    if (file && method === 'GET')
      return this.toBlob(file[1] === 'artifacts' ? 'artifact' : 'log', Number(file[2]));
    return { status: 404, body: this.failureBody(404) };
  }

  private workflowRoute(
    method: string,
    wf: string,
    what: string,
    url: URL,
    body: Record<string, unknown>,
  ): Reply {
    if (wf !== this.workflow && wf !== String(this.workflowId))
      return { status: 404, body: this.failureBody(404) };
    if (what === 'dispatches' && method === 'POST') return this.dispatch(body);
    if (what === 'runs' && method === 'GET') return this.list(url);
    return { status: 404, body: this.failureBody(404) };
  }

  private runRoute(method: string, id: number, what: string | undefined): Reply {
    const run = this.runs.find((r) => r.id === id && !r.plan.hidden);
    if (!run) return { status: 404, body: this.failureBody(404) };
    if (!what && method === 'GET') {
      this.look(run);
      return { status: 200, body: this.shape(run) };
    }
    if (what === '/jobs' && method === 'GET') return { status: 200, body: this.jobs(run) };
    if (what === '/artifacts' && method === 'GET') return { status: 200, body: this.artifacts(run) };
    if (what === '/cancel' && method === 'POST')
      return this.cancel(run)
        ? { status: 202, body: {} }
        : {
            status: 409,
            body: { message: 'Cannot cancel a workflow run that is completed.', status: '409' },
          };
    return { status: 404, body: this.failureBody(404) };
  }

  /** Downloads are a redirect to a signed URL on the blob store, as GitHub's are. */
  private toBlob(kind: 'artifact' | 'log', id: number): Reply {
    const run = this.runs.find((r) => (kind === 'artifact' ? r.artifacts : r.jobs).some((x) => x.id === id));
    if (!run) return { status: 404, body: this.failureBody(404) };
    return { status: 302, headers: { Location: `${this.blobUrl}/${kind}/${run.id}/${id}?sig=ok` } };
  }

  /** A run someone else dispatched: now, or (`withNext`) at the same moment as the next dispatch. */
  dispatchedElsewhere(plan: Plan = {}, options: { withNext?: boolean } = {}): void {
    if (options.withNext) this.concurrent.push(plan);
    else this.newRun(plan, 'main', {});
  }

  private readonly concurrent: Plan[] = [];

  private dispatch(body: Record<string, unknown>): Reply {
    const keys = Object.keys(body).filter((k) => !['ref', 'inputs', 'return_run_details'].includes(k));
    if ('return_run_details' in body && this.runDetails === 'refused') keys.push('return_run_details');
    if (keys.length) return this.invalid(`Invalid request.\n\n"${keys[0]}" is not a permitted key.`);
    const ref = String(body.ref ?? '');
    if (!this.refs.has(ref)) return this.invalid(`No ref found for: ${ref}`);
    const inputs = (body.inputs ?? {}) as Record<string, string>;
    const unexpected = Object.keys(inputs).filter((k) => !this.declared.has(k));
    if (unexpected.length) return this.invalid(`Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    for (const plan of this.concurrent.splice(0)) this.newRun(plan, ref, {});
    const run = this.newRun(this.nextPlan(), ref, inputs);
    if (body.return_run_details !== true || this.runDetails !== 'details' || run.plan.hidden)
      return { status: 204 };
    const base = `${this.url}/repos/${this.repository}/actions/runs/${run.id}`;
    return { status: 200, body: { workflow_run_id: run.id, run_url: base, html_url: this.htmlUrl(run) } };
  }

  private list(url: URL): Reply {
    const q = url.searchParams;
    const since = /^>=(.+)$/.exec(q.get('created') ?? '')?.[1];
    const runs = this.runs
      .filter((r) => !r.plan.hidden)
      // Every run here is a workflow_dispatch one; another event lists none.
      .filter(() => q.get('event') === null || q.get('event') === 'workflow_dispatch')
      .filter((r) => !q.get('branch') || r.ref === q.get('branch'))
      .filter((r) => !since || r.created >= since)
      .reverse();
    return { status: 200, body: { total_count: runs.length, workflow_runs: runs.map((r) => this.shape(r)) } };
  }

  private htmlUrl = (run: FakeRun) => `https://github.com/${this.repository}/actions/runs/${run.id}`;

  private shape(run: FakeRun) {
    const marker = run.inputs['modelship-dispatch-id'];
    const title = marker ? `train ${marker}` : 'Train';
    const api = `${this.url}/repos/${this.repository}/actions/runs/${run.id}`;
    return {
      id: run.id,
      name: title,
      node_id: `WFR_kwLOJ${run.id}`,
      head_branch: run.ref,
      head_sha: '2f1c0ab7d0f4bd6b1b8a4b1e0c3a9f3e2d1c0b9a',
      path: `.github/workflows/${this.workflow}`,
      display_title: title,
      run_number: run.id % 1000,
      event: 'workflow_dispatch',
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: this.workflowId,
      url: api,
      html_url: this.htmlUrl(run),
      created_at: run.created,
      updated_at: run.created,
      run_attempt: 1,
      run_started_at: run.created,
      jobs_url: `${api}/jobs`,
      logs_url: `${api}/logs`,
      artifacts_url: `${api}/artifacts`,
      cancel_url: `${api}/cancel`,
      rerun_url: `${api}/rerun`,
      workflow_url: `${this.url}/repos/${this.repository}/actions/workflows/${this.workflowId}`,
    };
  }

  private jobs(run: FakeRun) {
    const jobs = run.jobs.map((j, i) => {
      const completed = run.status === 'completed' || i < run.looks - 1;
      const conclusion = !completed
        ? null
        : this.jobFailed(run, i)
          ? 'failure'
          : run.conclusion === 'cancelled'
            ? 'cancelled'
            : 'success';
      return {
        id: j.id,
        run_id: run.id,
        name: j.name,
        status: completed ? 'completed' : i === run.looks - 1 ? 'in_progress' : 'queued',
        conclusion,
        html_url: `https://github.com/${this.repository}/actions/runs/${run.id}/job/${j.id}`,
      };
    });
    return { total_count: jobs.length, jobs };
  }

  private artifacts(run: FakeRun) {
    const list = run.status === 'completed' ? run.artifacts : [];
    return {
      total_count: list.length,
      artifacts: list.map((a) => ({
        id: a.id,
        node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
        name: a.name,
        size_in_bytes: zipOf(a.files).length,
        url: `${this.url}/repos/${this.repository}/actions/artifacts/${a.id}`,
        archive_download_url: `${this.url}/repos/${this.repository}/actions/artifacts/${a.id}/zip`,
        expired: false,
        created_at: run.created,
        expires_at: '2099-01-01T00:00:00Z',
        workflow_run: { id: run.id, head_branch: run.ref },
      })),
    };
  }

  private invalid(message: string): Reply {
    return {
      status: 422,
      body: {
        message,
        documentation_url: 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event',
        status: '422',
      },
    };
  }

  protected failureBody(status: number): unknown {
    const message =
      { 401: 'Bad credentials', 403: 'Resource not accessible by personal access token', 404: 'Not Found' }[
        status
      ] ?? (status >= 500 ? 'Server Error' : 'API rate limit exceeded');
    return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
  }
}

/** gitlab.com/api/v4: /projects/{id}/trigger/pipeline, /pipeline, /pipelines/…, /jobs/… */
export class FakeGitLabPipelines extends FakeActions {
  readonly projectId = '4711';
  readonly projectPath = 'acme/trainer';
  readonly triggerToken: string;
  readonly refs = new Set(['main']);

  constructor(token: string, triggerToken: string) {
    super(token);
    this.triggerToken = triggerToken;
  }

  get api(): string {
    return `${this.url}/api/v4`;
  }

  protected route(method: string, url: URL, body: Record<string, unknown>, req: IncomingMessage): Reply {
    const m = /^\/api\/v4\/projects\/([^/]+)(\/.*)$/.exec(url.pathname);
    const project = m && decodeURIComponent(m[1]!);
    if (!m || (project !== this.projectId && project !== this.projectPath))
      return { status: 404, body: { message: '404 Project Not Found' } };
    const path = m[2]!;
    // The trigger endpoint authenticates by the token in its body alone.
    if (path === '/trigger/pipeline' && method === 'POST') {
      if (body.token !== this.triggerToken) return { status: 404, body: { message: '404 Not Found' } };
      return this.create(body.ref, (body.variables ?? {}) as Record<string, string>);
    }
    const token = req.headers['private-token'] ?? req.headers['job-token'];
    if (token !== this.token) return { status: 401, body: this.failureBody(401) };
    if (path === '/pipeline' && method === 'POST') {
      const list = (body.variables ?? []) as { key: string; value: string }[];
      return this.create(body.ref, Object.fromEntries(list.map((v) => [v.key, v.value])));
    }
    const pipeline = /^\/pipelines\/(\d+)(\/jobs|\/cancel)?$/.exec(path);
    if (pipeline) return this.pipelineRoute(method, Number(pipeline[1]), pipeline[2]);
    const job = /^\/jobs\/(\d+)\/(trace|artifacts)(?:\/(.+))?$/.exec(path);
    if (job && method === 'GET') return this.jobRoute(Number(job[1]), job[2]!, job[3]);
    return { status: 404, body: { message: '404 Not Found' } };
  }

  private pipelineRoute(method: string, id: number, what: string | undefined): Reply {
    const run = this.runs.find((r) => r.id === id);
    if (!run) return { status: 404, body: { message: '404 Not found' } };
    if (!what && method === 'GET') {
      this.look(run);
      return { status: 200, body: this.shape(run) };
    }
    if (what === '/jobs' && method === 'GET') return { status: 200, body: this.jobs(run) };
    if (what === '/cancel' && method === 'POST') {
      this.cancel(run);
      return { status: 200, body: this.shape(run) };
    }
    return { status: 404, body: { message: '404 Not Found' } };
  }

  private jobRoute(id: number, what: string, file: string | undefined): Reply {
    const run = this.runs.find((r) => r.jobs.some((j) => j.id === id));
    if (!run) return { status: 404, body: { message: '404 Not found' } };
    const index = run.jobs.findIndex((j) => j.id === id);
    if (what === 'trace')
      return { status: 200, raw: this.logOf(run, index), headers: { 'Content-Type': 'text/plain' } };
    const files = run.plan.artifacts?.[run.jobs[index]!.name];
    if (!files) return { status: 404, body: { message: '404 Not found' } };
    if (file === undefined)
      return { status: 200, raw: zipOf(files), headers: { 'Content-Type': 'application/zip' } };
    const one = files.find((f) => f.name === decodeURIComponent(file));
    if (!one) return { status: 404, body: { message: '404 Not found' } };
    return {
      status: 200,
      raw: Buffer.from(one.data),
      headers: { 'Content-Type': 'application/octet-stream' },
    };
  }

  private create(ref: unknown, variables: Record<string, string>): Reply {
    if (typeof ref !== 'string' || !this.refs.has(ref))
      return { status: 400, body: { message: { base: ['Reference not found'] } } };
    const run = this.newRun(this.nextPlan(), ref, variables);
    run.status = 'created';
    return { status: 201, body: this.shape(run) };
  }

  /** GitLab's words for GitHub's states. */
  protected override look(run: FakeRun): void {
    super.look(run);
    run.status =
      run.conclusion === null
        ? 'running'
        : { success: 'success', failure: 'failed', cancelled: 'canceled' }[run.conclusion]!;
  }

  protected override cancel(run: FakeRun): boolean {
    const done = super.cancel(run);
    run.status = 'canceled';
    return done;
  }

  private shape(run: FakeRun) {
    return {
      id: run.id,
      iid: run.id % 1000,
      project_id: Number(this.projectId),
      sha: '2f1c0ab7d0f4bd6b1b8a4b1e0c3a9f3e2d1c0b9a',
      ref: run.ref,
      status: run.status,
      source: 'trigger',
      created_at: run.created,
      updated_at: run.created,
      web_url: `https://gitlab.com/${this.projectPath}/-/pipelines/${run.id}`,
      before_sha: '0000000000000000000000000000000000000000',
      tag: false,
      yaml_errors: null,
      user: { id: 9001, username: 'project_4711_bot', name: 'trainer bot', state: 'active' },
      started_at: run.created,
      finished_at: run.conclusion ? run.created : null,
      duration: run.conclusion ? 61 : null,
      queued_duration: 1,
      coverage: null,
      detailed_status: {
        icon: `status_${run.status}`,
        text: run.status,
        label: run.status,
        group: run.status,
      },
    };
  }

  private jobs(run: FakeRun) {
    return run.jobs.map((j, i) => {
      const done = run.conclusion !== null || i < run.looks - 1;
      const status = !done
        ? i === run.looks - 1
          ? 'running'
          : 'pending'
        : this.jobFailed(run, i)
          ? 'failed'
          : run.conclusion === 'cancelled'
            ? 'canceled'
            : 'success';
      const files = run.plan.artifacts?.[j.name];
      return {
        id: j.id,
        status,
        stage: i === 0 ? 'train' : 'publish',
        name: j.name,
        ref: run.ref,
        tag: false,
        allow_failure: false,
        created_at: run.created,
        web_url: `https://gitlab.com/${this.projectPath}/-/jobs/${j.id}`,
        pipeline: { id: run.id, project_id: Number(this.projectId), ref: run.ref, status: run.status },
        ...(status === 'failed' ? { failure_reason: 'script_failure' } : {}),
        artifacts: files
          ? [{ file_type: 'archive', size: 1024, filename: 'artifacts.zip', file_format: 'zip' }]
          : [],
        artifacts_expire_at: files ? '2099-01-01T00:00:00.000Z' : null,
      };
    });
  }

  protected failureBody(status: number): unknown {
    const text: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };
    return {
      message: `${status} ${text[status] ?? (status >= 500 ? 'Internal Server Error' : 'Too Many Requests')}`,
    };
  }
}
