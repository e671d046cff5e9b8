/**
 * GitHub Actions, spoken directly in the runner's file and workflow-command protocol rather
 * than through @actions/core, so an action starts in a few milliseconds and bundles stay small.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { InputError, type Location } from '../errors.ts';
import { type PullRequest, upsertGitHubComment } from '../report/comments/github.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { addSecret, redact } from '../secrets/redact.ts';
import type { CommentOutcome, Platform, StepIdentity, StepResult } from './port.ts';

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function command(name: string, message: string, props: Record<string, string | number | undefined> = {}) {
  const p = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(redact(String(v)))}`)
    .join(',');
  process.stdout.write(`::${name}${p ? ` ${p}` : ''}::${escapeData(redact(message))}\n`);
}

const locationProps = (where?: Location) => ({
  file: where?.file,
  line: where?.line,
  col: where?.column,
});

/** Append `name<<delimiter` blocks: the only form that carries any value, newlines included. */
function appendKeyValues(file: string, values: Record<string, string>) {
  let text = '';
  for (const [k, v] of Object.entries(values)) {
    const delimiter = `ghadelimiter_${randomUUID()}`;
    text += `${k}<<${delimiter}\n${v}\n${delimiter}\n`;
  }
  appendFileSync(file, text);
}

export class GitHubPlatform implements Platform {
  readonly name = 'github';
  private readonly env: NodeJS.ProcessEnv;
  /** Secrets already sent to the runner with add-mask. */
  private readonly announced = new Set<string>();
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.env = env;
  }

  readInputs(spec: StepIdentity): Record<string, string | undefined> {
    const raw: Record<string, string | undefined> = {};
    // The runner upper-cases the name and turns spaces, not dashes, into underscores.
    for (const name of Object.keys(spec.inputs)) raw[name] = this.env[`INPUT_${name.toUpperCase()}`];
    return raw;
  }

  describeInput(name: string) {
    return `the '${name}' input (with: ${name}: …)`;
  }

  info(message: string) {
    process.stdout.write(`${redact(message)}\n`);
  }
  progress(message: string) {
    this.info(message);
  }
  debug(message: string) {
    command('debug', message);
  }
  notice(message: string) {
    command('notice', message);
  }
  warn(message: string, where?: Location) {
    command('warning', message, locationProps(where));
  }
  error(message: string, where?: Location) {
    command('error', message, locationProps(where));
  }
  mask(secret: string) {
    if (this.announced.has(secret)) return; // the runner needs to hear it once
    this.announced.add(secret);
    addSecret(secret);
    for (const line of secret.split(/\r?\n/))
      if (line.trim()) process.stdout.write(`::add-mask::${line.trim()}\n`);
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    process.stdout.write(`::group::${escapeData(title)}\n`);
    try {
      return await fn();
    } finally {
      process.stdout.write('::endgroup::\n');
    }
  }

  async publish(_spec: StepIdentity, result: StepResult) {
    for (const c of result.checks) {
      const props = { title: c.id, ...locationProps(c.where) };
      if (c.status === 'fail') command('error', c.message, props);
      else if (c.status === 'warn') command('warning', c.message, props);
    }
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([k, v]) => [k, redact(String(v))]),
    );
    if (this.env.GITHUB_OUTPUT) appendKeyValues(this.env.GITHUB_OUTPUT, outputs);
    else for (const [k, v] of Object.entries(outputs)) this.info(`${k}=${v}`);
    if (this.env.GITHUB_STEP_SUMMARY)
      appendFileSync(this.env.GITHUB_STEP_SUMMARY, redact(renderMarkdown(result.summary)));
  }

  async upsertComment(
    key: string,
    body: string,
    token: string | undefined,
    tokenInput?: string,
  ): Promise<CommentOutcome> {
    const pr = pullRequestOf(this.env);
    if ('skip' in pr) return { status: 'skipped', reason: pr.skip };
    const secret = token || this.env.GITHUB_TOKEN;
    if (!secret) {
      const how = tokenInput ? `${this.describeInput(tokenInput)}, or ` : '';
      return { status: 'skipped', reason: `no token to comment with: set ${how}GITHUB_TOKEN` };
    }
    this.mask(secret);
    const given = tokenInput ? this.describeInput(tokenInput) : 'the token given to the step';
    const credential = token ? given : 'GITHUB_TOKEN';
    const done = await upsertGitHubComment(pr, key, body, secret, { credential });
    return { status: done.action, url: done.url };
  }

  /** Signed with Sigstore through the workflow's OIDC token and stored with GitHub's attestations API. */
  async attestProvenance(subject: { name: string; digest: string }, token: string | undefined) {
    if (!this.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
      throw new InputError('attest needs an OIDC token, and this job cannot request one', {
        where: { path: 'attest' },
        fix: 'Give the job `permissions: { id-token: write, attestations: write }`.',
      });
    }
    const secret = token || this.env.GITHUB_TOKEN;
    if (!secret) {
      throw new InputError('attest needs a token to store the attestation', {
        where: { path: 'token' },
        fix: 'Leave the token input at its default (the workflow token).',
      });
    }
    this.mask(secret);
    const { attestProvenance } = await import('@actions/attest');
    const hex = subject.digest.replace(/^sha256:/, '');
    const done = await attestProvenance({
      subjects: [{ name: subject.name, digest: { sha256: hex } }],
      token: secret,
    });
    return done.attestationID && this.env.GITHUB_REPOSITORY
      ? {
          url: `${this.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${this.env.GITHUB_REPOSITORY}/attestations/${done.attestationID}`,
        }
      : {};
  }

  runUrl() {
    const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = this.env;
    return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
  }
}

/**
 * The pull request this run belongs to, read from the event payload, or why there is none.
 * `pull_request` and `pull_request_target` carry it directly; a comment on a pull request
 * arrives as an `issue_comment` whose issue has a `pull_request` key.
 */
export function pullRequestOf(env: NodeJS.ProcessEnv): PullRequest | { skip: string } {
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return { skip: 'no GitHub event payload (GITHUB_EVENT_PATH is unset)' };
  let event: Payload;
  try {
    event = JSON.parse(readFileSync(path, 'utf8')) as Payload;
  } catch (e) {
    return { skip: `the event payload at ${path} could not be read: ${(e as Error).message}` };
  }
  const number = event.pull_request?.number ?? (event.issue?.pull_request ? event.issue.number : undefined);
  if (typeof number !== 'number')
    return { skip: `the ${env.GITHUB_EVENT_NAME ?? 'triggering'} event is not a pull request` };
  const repository = env.GITHUB_REPOSITORY || event.repository?.full_name;
  if (!repository) return { skip: 'GITHUB_REPOSITORY is unset' };
  return { api: env.GITHUB_API_URL || 'https://api.github.com', repository, number };
}

interface Payload {
  pull_request?: { number?: unknown };
  issue?: { number?: unknown; pull_request?: unknown };
  repository?: { full_name?: string };
}
