/**
 * The example pipelines users copy: valid YAML with no repeated keys, and every step they use is
 * one this repository ships, with inputs it declares.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { kebabToEnv } from '../packages/core/src/platform/port.ts';
import { findStep, STEPS } from '../packages/core/src/steps/catalog.ts';
import { ROOT } from './support/run.ts';

const COMMON = ['as', 'stage', 'image', 'cli'];

async function examples(dir: string) {
  const files = (await readdir(join(ROOT, 'examples', dir), { withFileTypes: true })).filter((f) =>
    f.isFile(),
  );
  return Promise.all(
    files.map(async (f) => ({
      file: f.name,
      doc: parse(await readFile(join(ROOT, 'examples', dir, f.name), 'utf8'), { uniqueKeys: true }),
    })),
  );
}

describe('example pipelines', () => {
  it('GitHub workflows use shipped actions with declared inputs', async () => {
    for (const { file, doc } of await examples('github')) {
      for (const job of Object.values(
        doc.jobs as Record<string, { steps: { uses?: string; with?: object }[] }>,
      )) {
        for (const step of job.steps) {
          const m = /modelship\/modelship\/actions\/([\w-]+)@/.exec(step.uses ?? '');
          if (!m) continue;
          const spec = findStep(m[1]!)?.spec;
          assert.ok(spec, `${file}: ${step.uses} is not shipped`);
          for (const input of Object.keys(step.with ?? {}))
            assert.ok(input in spec.inputs, `${file}: ${m[1]} has no input '${input}'`);
        }
      }
    }
  });

  it('every job that runs a TypeScript file has Node 24', async () => {
    const runsTs = (command: unknown) => /\.ts\b/.test(String(command ?? ''));
    for (const { file, doc } of await examples('github')) {
      type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
      for (const [name, job] of Object.entries(doc.jobs as Record<string, { steps: Step[] }>)) {
        const setup = job.steps.findIndex(
          (s) => /^actions\/setup-node@/.test(s.uses ?? '') && /^24\b/.test(String(s.with?.['node-version'])),
        );
        job.steps.forEach((step, i) => {
          if (runsTs(step.run))
            assert.ok(setup >= 0 && setup < i, `${file}: job ${name} runs '${step.run}' without Node 24`);
        });
      }
    }
    for (const { file, doc } of await examples('gitlab')) {
      for (const [name, job] of Object.entries(
        doc as Record<string, { script?: string[]; image?: string }>,
      )) {
        if (!job?.script?.some(runsTs)) continue;
        const image = job.image ?? (doc.default as { image?: string } | undefined)?.image ?? doc.image;
        assert.match(
          String(image),
          /(^|\/)node:24\b/,
          `${file}: job ${name} runs TypeScript without a Node 24 image`,
        );
      }
    }
  });

  it('GitLab pipelines include shipped components with declared inputs', async () => {
    for (const { file, doc } of await examples('gitlab')) {
      for (const inc of doc.include as { component: string; inputs?: object }[]) {
        const m = /components\/([\w-]+)@/.exec(inc.component);
        const spec = m && findStep(m[1]!)?.spec;
        assert.ok(spec, `${file}: ${inc.component} is not shipped`);
        for (const input of Object.keys(inc.inputs ?? {})) {
          assert.ok(
            input in spec.inputs || COMMON.includes(input),
            `${file}: ${m![1]} has no input '${input}'`,
          );
        }
      }
    }
  });

  it('GitHub workflows pass @actions/workflow-parser validation', async () => {
    const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await workflowParser();
    const dir = join(ROOT, 'examples', 'github');
    const files = await readdir(dir);
    assert.ok(files.includes('lifecycle.yml') && files.includes('rollback.yml'));
    for (const file of files) {
      const content = await readFile(join(dir, file), 'utf8');
      const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
      assert.ok(parsed.value, `${file}: the parser read nothing`);
      const converted = await convertWorkflowTemplate(parsed.context, parsed.value);
      const errors = [
        ...parsed.context.errors.getErrors().map((e) => e.message),
        ...(converted.errors ?? []).map((e) => e.Message),
      ];
      assert.deepEqual(errors, [], `${file} is not a valid workflow`);
    }
  });

  it('GitHub expressions read outputs that jobs and steps declare', async () => {
    let checked = 0;
    for (const { file, doc } of await examples('github')) {
      const jobs = doc.jobs as Record<string, GitHubJob>;
      for (const [name, job] of Object.entries(jobs)) {
        const needs = [job.needs ?? []].flat();
        for (const [, other, output] of expressions(job, /needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const where = `${file}: job ${name} reads needs.${other}.outputs.${output}`;
          assert.ok(needs.includes(other!), `${where}, and does not need ${other}`);
          assert.ok(output! in (jobs[other!]?.outputs ?? {}), `${where}, which ${other} does not declare`);
          checked++;
        }
        for (const [, id, output] of expressions(job, /steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const step = job.steps.find((s) => s.id === id);
          const where = `${file}: job ${name} reads steps.${id}.outputs.${output}`;
          assert.ok(step, `${where}, and has no step ${id}`);
          assert.ok(stepWrites(step, output!), `${where}, which that step does not write`);
          checked++;
        }
      }
    }
    assert.ok(checked > 20, `only ${checked} outputs read: the expressions were not found`);
  });

  it('GitLab pipelines read dotenv outputs of the jobs they need', async () => {
    const prefixes = STEPS.map((s) => ({ id: s.spec.id, env: `${kebabToEnv(s.spec.id)}_` }));
    let checked = 0;
    for (const { file, doc } of await examples('gitlab')) {
      const includes = doc.include as { component: string; inputs?: Record<string, unknown> }[];
      // The job each component adds (its `as`, else the step's name) and the step it runs.
      const stepOf = new Map<string, string>();
      const inputsOf = new Map<string, unknown>();
      for (const inc of includes) {
        const step = /components\/([\w-]+)@/.exec(inc.component)![1]!;
        const job = String(inc.inputs?.as ?? step);
        stepOf.set(job, step);
        inputsOf.set(job, inc.inputs);
      }
      const jobs = new Set([...stepOf.keys(), ...Object.keys(doc).filter((k) => !GITLAB_KEYWORDS.has(k))]);
      for (const job of jobs) {
        const own = (doc[job] ?? {}) as { needs?: (string | { job: string })[]; when?: string };
        const needed = new Set((own.needs ?? []).map((n) => stepOf.get(typeof n === 'string' ? n : n.job)));
        for (const [, variable] of expressions([inputsOf.get(job), own], /\$\{?([A-Z][A-Z0-9_]*)/g)) {
          const from = prefixes.find((p) => variable!.startsWith(p.env));
          if (!from) continue;
          const outputs = [...Object.keys(findStep(from.id)!.spec.outputs), 'passed', 'error'].map(
            kebabToEnv,
          );
          const where = `${file}: job ${job} reads $${variable}`;
          if (!outputs.includes(variable!.slice(from.env.length))) {
            // A manual job's variables are filled in by the person who runs it.
            assert.equal(own.when, 'manual', `${where}, which ${from.id} does not output`);
            continue;
          }
          assert.ok(needed.has(from.id), `${where}, and needs no ${from.id} job`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 8, `only ${checked} dotenv outputs read: the variables were not found`);
  });

  it('the Jenkinsfile runs shipped steps with declared inputs', async () => {
    const text = await readFile(join(ROOT, 'examples', 'jenkins', 'Jenkinsfile'), 'utf8');
    const seen = new Set<string>();
    // Each stage, from its `stage('…')` to the next: the steps it runs and the variables it sets.
    for (const stage of text.split(/(?=\bstage\(')/)) {
      const inputs = new Set<string>();
      for (const call of calls(stage, "modelship('")) {
        const step = /^modelship\('([\w-]+)'/.exec(call)![1]!;
        const spec = findStep(step)?.spec;
        assert.ok(spec, `Jenkinsfile: ${step} is not a shipped step`);
        seen.add(step);
        const map = call.slice(call.indexOf('[')).replace(/"[^"]*"/g, '""');
        const given = [
          ...[...call.matchAll(/(?:^|\s)--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!),
          ...(call.includes('[')
            ? [...map.matchAll(/'([a-z][a-z0-9-]*)'\s*:|\b([a-z][a-z0-9]*)\s*:/g)]
            : []
          ).map((m) => (m[1] ?? m[2])!),
        ];
        for (const input of given)
          assert.ok(input in spec.inputs, `Jenkinsfile: ${step} has no input '${input}'`);
        for (const input of Object.keys(spec.inputs)) inputs.add(kebabToEnv(input));
      }
      for (const [, command] of stage.matchAll(/\$MODELSHIP_CLI ([a-z][\w-]*)/g)) {
        assert.ok(CLI_COMMANDS[command!], `Jenkinsfile: modelship ${command} is no command`);
        for (const input of CLI_COMMANDS[command!]!) inputs.add(input);
      }
      for (const [, variable] of stage.matchAll(/MODELSHIP_INPUT_([A-Z][A-Z0-9_]*)/g))
        assert.ok(
          inputs.has(variable!),
          `Jenkinsfile: MODELSHIP_INPUT_${variable} is no input of this stage's steps`,
        );
    }
    assert.deepEqual(
      [...seen].sort(),
      STEPS.map((s) => s.spec.id).sort(),
      'the Jenkinsfile runs the whole lifecycle',
    );
  });

  it("the lifecycle page's commands use shipped steps and declared inputs", async () => {
    const text = await readFile(join(ROOT, 'docs', 'lifecycle.md'), 'utf8');
    let checked = 0;
    for (const [line, command] of text.matchAll(/\bmodelship ([a-z][\w-]*)[^\n`]*/g)) {
      assert.ok(CLI_COMMANDS[command!], `docs/lifecycle.md: modelship ${command} is no command`);
      const spec = findStep(command!)?.spec;
      if (!spec) continue;
      for (const [, flag] of line.matchAll(/\s--([a-z][a-z0-9-]*)/g)) {
        assert.ok(flag! in spec.inputs, `docs/lifecycle.md: ${command} has no input '${flag}'`);
        checked++;
      }
    }
    assert.ok(checked >= 6, `only ${checked} flags found`);
  });
});

type GitHubStep = { id?: string; uses?: string; run?: string };
type GitHubJob = { needs?: string | string[]; outputs?: Record<string, string>; steps: GitHubStep[] };

/** GitLab's top-level keywords: every other key is a job. */
const GITLAB_KEYWORDS = new Set(['stages', 'include', 'variables', 'workflow', 'default', 'image', 'spec']);

/** The modelship commands that are not steps, and the MODELSHIP_INPUT_* variables they read. */
const CLI_COMMANDS: Record<string, string[]> = {
  ...Object.fromEntries(STEPS.map((s) => [s.spec.id, []])),
  versions: ['REGISTRY_USERNAME', 'REGISTRY_PASSWORD'],
  history: ['KUBECONFIG'],
  serve: [],
};

/** Every match of `pattern` in the strings anywhere under `value`. */
function expressions(value: unknown, pattern: RegExp): RegExpMatchArray[] {
  if (typeof value === 'string') return [...value.matchAll(pattern)];
  if (value && typeof value === 'object') return Object.values(value).flatMap((v) => expressions(v, pattern));
  return [];
}

/** A modelship action declares its outputs; a `run` step writes `name=` to GITHUB_OUTPUT itself. */
function stepWrites(step: GitHubStep, output: string): boolean {
  const m = /modelship\/modelship\/actions\/([\w-]+)@/.exec(step.uses ?? '');
  if (m) return output in (findStep(m[1]!)?.spec.outputs ?? {});
  return new RegExp(`\\b${output}=.*GITHUB_OUTPUT`).test(step.run ?? '');
}

/** The calls that start with `start`, each up to its matching closing parenthesis. */
function calls(text: string, start: string): string[] {
  const out: string[] = [];
  for (let at = text.indexOf(start); at >= 0; at = text.indexOf(start, at + 1)) {
    let depth = 0;
    let end = at;
    for (; end < text.length; end++) {
      if (text[end] === '(') depth++;
      else if (text[end] === ')' && --depth === 0) break;
    }
    out.push(text.slice(at, end + 1));
  }
  return out;
}

/**
 * @actions/workflow-parser imports its JSON schemas without `with { type: 'json' }`, which Node 24
 * refuses; this hook adds the attribute for that package's JSON files only.
 */
async function workflowParser() {
  registerHooks({
    load(url, context, next) {
      if (url.includes('/@actions/workflow-parser/') && url.endsWith('.json'))
        return next(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
      return next(url, context);
    },
  });
  return import('@actions/workflow-parser');
}
