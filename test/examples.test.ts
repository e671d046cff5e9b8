/**
 * The example pipelines users copy: valid YAML with no repeated keys, and every step they use is
 * one this repository ships, with inputs it declares.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { findStep } from '../packages/core/src/steps/catalog.ts';
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
});
