/**
 * GitLab CI: the component template passes inputs as MODELSHIP_INPUT_* job variables (never
 * through the shell), and the step answers with a dotenv report (outputs for later jobs via
 * `needs:`), a JUnit report (one test case per check for the MR widget), a Markdown summary
 * file, and collapsible sections in the job log.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../report/files.ts';
import { renderJUnit } from '../report/junit.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { renderTerminal } from '../report/terminal.ts';
import type { StepSpec } from '../steps/spec.ts';
import { LocalPlatform } from './local.ts';
import { kebabToEnv, type StepResult } from './port.ts';
import { redact } from './redact.ts';

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
  private path(kind: 'DOTENV' | 'JUNIT' | 'SUMMARY', spec: StepSpec, ext: string) {
    return this.env[`MODELSHIP_${kind}`] || join('modelship-reports', `${spec.id}.${ext}`);
  }

  override async publish(spec: StepSpec, result: StepResult) {
    this.write(renderTerminal(result.summary).trimEnd());
    // dotenv values are one line each; GitLab rejects the whole report otherwise.
    const dotenv = Object.entries(result.outputs)
      .map(([k, v]) => `${dotenvKey(spec.id, k)}=${redact(String(v)).replace(/\r?\n/g, ' ')}`)
      .join('\n');
    await writeFileAtomic(this.path('DOTENV', spec, 'env'), `${dotenv}\n`);
    await writeFileAtomic(
      this.path('JUNIT', spec, 'junit.xml'),
      redact(renderJUnit(spec.id, result.checks, result.seconds)),
    );
    await writeFileAtomic(this.path('SUMMARY', spec, 'md'), redact(renderMarkdown(result.summary)));
  }

  override runUrl() {
    return this.env.CI_JOB_URL || this.env.CI_PIPELINE_URL;
  }
}

export const dotenvKey = (step: string, output: string) => `${kebabToEnv(step)}_${kebabToEnv(output)}`;
