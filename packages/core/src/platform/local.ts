/**
 * The command line on a laptop: flags (or MODELSHIP_INPUT_* variables) in, a terminal table
 * on stderr and the outputs as one JSON object on stdout, so `| jq` works.
 */
import { formatLocation, type Location } from '../errors.ts';
import { writeFileAtomic } from '../files/atomic.ts';
import { renderJUnit } from '../report/junit.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { paint, renderTerminal } from '../report/terminal.ts';
import { addSecret, redact } from '../secrets/redact.ts';
import {
  type CommentOutcome,
  kebabToEnv,
  type Platform,
  type StepIdentity,
  type StepResult,
} from './port.ts';

export class LocalPlatform implements Platform {
  readonly name: 'local' | 'gitlab' = 'local';
  private lastProgress = 0;

  protected readonly flags: Record<string, string>;
  protected readonly env: NodeJS.ProcessEnv;
  /** ANSI colour on stderr: decided by platform/detect for a terminal, off for logs and files. */
  protected readonly colour: boolean;
  constructor(
    flags: Record<string, string>,
    env: NodeJS.ProcessEnv = process.env,
    options: { colour?: boolean } = {},
  ) {
    this.flags = flags;
    this.env = env;
    this.colour = options.colour ?? false;
  }

  readInputs(spec: StepIdentity): Record<string, string | undefined> {
    const raw: Record<string, string | undefined> = {};
    for (const name of Object.keys(spec.inputs))
      raw[name] = this.flags[name] ?? this.env[`MODELSHIP_INPUT_${kebabToEnv(name)}`];
    for (const name of Object.keys(this.flags)) if (!(name in raw)) raw[name] = this.flags[name];
    return raw;
  }

  describeInput(name: string) {
    return `--${name}`;
  }

  protected write(line: string) {
    process.stderr.write(`${redact(line)}\n`);
  }
  info(message: string) {
    this.write(message);
  }
  debug(message: string) {
    if (this.env.MODELSHIP_DEBUG) this.write(`debug: ${message}`);
  }
  notice(message: string) {
    this.write(`notice: ${message}`);
  }
  progress(message: string) {
    // A laptop terminal wants a live line; a CI log wants a line every few seconds at most.
    const now = Date.now();
    if (now - this.lastProgress < 2000) return;
    this.lastProgress = now;
    this.write(message);
  }
  warn(message: string, where?: Location) {
    const place = formatLocation(where);
    this.write(`${paint('warning:', 'yellow', this.colour)} ${place ? `${place}: ` : ''}${message}`);
  }
  error(message: string, _where?: Location) {
    this.write(`${paint('error:', 'red', this.colour)} ${message}`);
  }
  mask(secret: string) {
    addSecret(secret);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.write(`▸ ${title}`);
    return fn();
  }

  async publish(spec: StepIdentity, result: StepResult) {
    this.write(renderTerminal(result.summary, { colour: this.colour }).trimEnd());
    process.stdout.write(`${redact(JSON.stringify(result.outputs, null, 2))}\n`);
    // A CI with no platform of its own here (Jenkins, Buildkite) asks for the files it can show.
    if (this.env.MODELSHIP_JUNIT) await writeFileAtomic(this.env.MODELSHIP_JUNIT, junitOf(spec.id, result));
    if (this.env.MODELSHIP_SUMMARY) await writeFileAtomic(this.env.MODELSHIP_SUMMARY, markdownOf(result));
  }

  runUrl(): string | undefined {
    return undefined;
  }

  async upsertComment(
    _key: string,
    _body: string,
    _token: string | undefined,
    _tokenInput?: string,
  ): Promise<CommentOutcome> {
    return { status: 'skipped', reason: 'not running in a pull request / merge request pipeline' };
  }
}

/** The JUnit report and the Markdown summary of a step, as a CI shows them: secrets masked. */
export const junitOf = (step: string, result: StepResult) =>
  redact(renderJUnit(step, result.checks, result.seconds));
export const markdownOf = (result: StepResult) => redact(renderMarkdown(result.summary));
