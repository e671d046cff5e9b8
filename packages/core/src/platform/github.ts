/**
 * GitHub Actions, spoken directly in the runner's file and workflow-command protocol rather
 * than through @actions/core, so an action starts in a few milliseconds and bundles stay small.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Location } from '../errors.ts';
import { renderMarkdown } from '../report/markdown.ts';
import type { StepSpec } from '../steps/spec.ts';
import type { Platform, StepResult } from './port.ts';
import { addSecret, redact } from './redact.ts';

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
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.env = env;
  }

  readInputs(spec: StepSpec): Record<string, string | undefined> {
    const raw: Record<string, string | undefined> = {};
    for (const [name, f] of Object.entries(spec.inputs)) {
      // The runner upper-cases the name and turns spaces, not dashes, into underscores.
      const value = this.env[`INPUT_${name.toUpperCase()}`];
      if (value !== undefined && f.secret && value !== '') this.mask(value);
      raw[name] = value;
    }
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

  async publish(_spec: StepSpec, result: StepResult) {
    for (const c of result.checks) {
      if (c.status === 'fail') command('error', c.message, { title: c.id });
      else if (c.status === 'warn') command('warning', c.message, { title: c.id });
    }
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([k, v]) => [k, redact(String(v))]),
    );
    if (this.env.GITHUB_OUTPUT) appendKeyValues(this.env.GITHUB_OUTPUT, outputs);
    else for (const [k, v] of Object.entries(outputs)) this.info(`${k}=${v}`);
    if (this.env.GITHUB_STEP_SUMMARY)
      appendFileSync(this.env.GITHUB_STEP_SUMMARY, redact(renderMarkdown(result.summary)));
  }

  runUrl() {
    const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = this.env;
    return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
  }
}
