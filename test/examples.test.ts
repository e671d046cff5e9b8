/**
 * The example pipelines users copy: valid YAML with no repeated keys, and every step they use is
 * one this repository ships, with inputs it declares.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { findStep } from '../packages/core/src/steps/registry.ts';
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
