/**
 * GitLab CI: the component template passes inputs as MODELSHIP_INPUT_* job variables (never
 * through the shell), and the step answers with a dotenv report (outputs for later jobs via
 * `needs:`), a JUnit report (one test case per check for the MR widget), a Markdown summary
 * file, and collapsible sections in the job log. A step that stops with an error leaves the same
 * reports (see gitlab-failure.ts), as the components' README promises.
 */
import { join } from 'node:path';
import type { Location } from '../errors.ts';
import { writeFileAtomic } from '../files/atomic.ts';
import { type MergeRequest, upsertGitLabNote } from '../report/comments/gitlab.ts';
import { renderTerminal } from '../report/terminal.ts';
import { redact } from '../secrets/redact.ts';
import { failureResult } from './gitlab-failure.ts';
import { junitOf, LocalPlatform, markdownOf } from './local.ts';
import { type CommentOutcome, kebabToEnv, type StepIdentity, type StepResult } from './port.ts';

let sections = 0;

export class GitLabPlatform extends LocalPlatform {
  override readonly name = 'gitlab';

  override describeInput(name: string) {
    return `the '${name}' input of the component (inputs: ${name}: …)`;
  }

  protected override write(line: string) {
    process.stdout.write(`${redact(line)}\n`);
  }

  override async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const id = `modelship_${++sections}`;
    const ts = () => Math.floor(Date.now() / 1000);
    process.stdout.write(`\x1b[0Ksection_start:${ts()}:${id}[collapsed=true]\r\x1b[0K${redact(title)}\n`);
    try {
      return await fn();
    } finally {
      process.stdout.write(`\x1b[0Ksection_end:${ts()}:${id}\r\x1b[0K\n`);
    }
  }

  /** Where the template asked for the report files; defaults keep a bare CLI call working. */
  private path(kind: 'DOTENV' | 'JUNIT' | 'SUMMARY' | 'METRICS', step: string, ext: string) {
    return this.env[`MODELSHIP_${kind}`] || join('modelship-reports', `${step}.${ext}`);
  }

  /** The step this job runs, known once its inputs are read: a later error still leaves reports. */
  private step: string | undefined;
  override readInputs(spec: StepIdentity) {
    this.step = spec.id;
    return super.readInputs(spec);
  }

  override error(message: string, where?: Location) {
    super.error(message, where);
    const step = this.step;
    if (!step) return;
    // Not awaited (the port's error() is synchronous): Node stays alive until the files are written.
    void this.writeReports(step, failureResult(step, redact(message))).catch((e: unknown) =>
      this.warn(`could not write the reports of ${step}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  override async publish(spec: StepIdentity, result: StepResult) {
    this.write(renderTerminal(result.summary).trimEnd());
    await this.writeReports(spec.id, result);
  }

  private async writeReports(step: string, result: StepResult) {
    // dotenv values are one line each; GitLab rejects the whole report otherwise.
    const dotenv = Object.entries(result.outputs)
      .map(([k, v]) => `${dotenvKey(step, k)}=${redact(String(v)).replace(/\r?\n/g, ' ')}`)
      .join('\n');
    await writeFileAtomic(this.path('DOTENV', step, 'env'), `${dotenv}\n`);
    await writeFileAtomic(this.path('JUNIT', step, 'junit.xml'), junitOf(step, result));
    await writeFileAtomic(this.path('SUMMARY', step, 'md'), markdownOf(result));
    if (result.headline) {
      // The metrics report is `name value` per line; GitLab shows the change against the target branch.
      const lines = Object.entries(result.headline)
        .filter(([, v]) => Number.isFinite(v))
        .map(([k, v]) => `${k} ${v}\n`);
      await writeFileAtomic(this.path('METRICS', step, 'metrics.txt'), lines.join(''));
    }
  }

  override runUrl() {
    return this.env.CI_JOB_URL || this.env.CI_PIPELINE_URL;
  }

  override async upsertComment(
    key: string,
    body: string,
    token: string | undefined,
    tokenInput?: string,
  ): Promise<CommentOutcome> {
    const mr = mergeRequestOf(this.env);
    if ('skip' in mr) return { status: 'skipped', reason: mr.skip };
    const given = tokenInput ? this.describeInput(tokenInput) : 'the token given to the step';
    const [secret, credential] = token
      ? [token, given]
      : this.env.MODELSHIP_GITLAB_TOKEN
        ? [this.env.MODELSHIP_GITLAB_TOKEN, 'MODELSHIP_GITLAB_TOKEN']
        : [this.env.GITLAB_TOKEN, 'GITLAB_TOKEN'];
    if (!secret) {
      const or = tokenInput ? ` (or pass it to ${given})` : '';
      const reason =
        'no token to write the merge request note with: store a project or personal access token with ' +
        `the api scope in a masked CI/CD variable named MODELSHIP_GITLAB_TOKEN${or}; CI_JOB_TOKEN cannot write notes`;
      return { status: 'skipped', reason };
    }
    this.mask(secret);
    const done = await upsertGitLabNote(mr, key, body, secret, { credential });
    return { status: done.action, url: done.url };
  }
}

/**
 * The merge request this pipeline runs for, or why there is none. A merge request from a fork
 * runs in the fork, so its notes live in CI_MERGE_REQUEST_PROJECT_ID, not CI_PROJECT_ID.
 */
export function mergeRequestOf(env: NodeJS.ProcessEnv): MergeRequest | { skip: string } {
  const iid = env.CI_MERGE_REQUEST_IID;
  if (!iid || !/^\d+$/.test(iid))
    return {
      skip:
        'not a merge request pipeline (CI_MERGE_REQUEST_IID is unset); run the job in merge request ' +
        "pipelines with `rules: - if: $CI_PIPELINE_SOURCE == 'merge_request_event'`",
    };
  const api = env.CI_API_V4_URL;
  const project = env.CI_MERGE_REQUEST_PROJECT_ID || env.CI_PROJECT_ID;
  if (!api || !project) return { skip: 'CI_API_V4_URL or CI_PROJECT_ID is unset' };
  const page = env.CI_MERGE_REQUEST_PROJECT_URL || env.CI_PROJECT_URL;
  return { api, project, iid: Number(iid), webUrl: page ? `${page}/-/merge_requests/${iid}` : undefined };
}

export const dotenvKey = (step: string, output: string) => `${kebabToEnv(step)}_${kebabToEnv(output)}`;
