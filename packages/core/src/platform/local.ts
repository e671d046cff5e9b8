/**
 * The command line on a laptop: flags (or MODELSHIP_INPUT_* variables) in, a terminal table
 * on stderr and the outputs as one JSON object on stdout, so `| jq` works.
 */
import { formatLocation, type Location } from '../errors.ts';
import { renderTerminal } from '../report/terminal.ts';
import type { StepSpec } from '../steps/spec.ts';
import { type CommentOutcome, kebabToEnv, type Platform, type StepResult } from './port.ts';
import { addSecret, redact } from './redact.ts';

export class LocalPlatform implements Platform {
  readonly name: 'local' | 'gitlab' = 'local';
  private lastProgress = 0;

  protected readonly flags: Record<string, string>;
  protected readonly env: NodeJS.ProcessEnv;
  constructor(flags: Record<string, string>, env: NodeJS.ProcessEnv = process.env) {
    this.flags = flags;
    this.env = env;
  }

  readInputs(spec: StepSpec): Record<string, string | undefined> {
    const raw: Record<string, string | undefined> = {};
    for (const [name, f] of Object.entries(spec.inputs)) {
      const value = this.flags[name] ?? this.env[`MODELSHIP_INPUT_${kebabToEnv(name)}`];
      if (value && f.secret) this.mask(value);
      raw[name] = value;
    }
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
    this.write(`warning: ${place ? `${place}: ` : ''}${message}`);
  }
  error(message: string, _where?: Location) {
    this.write(`error: ${message}`);
  }
  mask(secret: string) {
    addSecret(secret);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.write(`▸ ${title}`);
    return fn();
  }

  async publish(_spec: StepSpec, result: StepResult) {
    this.write(renderTerminal(result.summary).trimEnd());
    process.stdout.write(`${redact(JSON.stringify(result.outputs, null, 2))}\n`);
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
