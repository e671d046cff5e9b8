import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { captureStdout } from '../../../../test/support/capture.ts';
import { tempDir } from '../../../../test/support/run.ts';
import { EXIT } from '../errors.ts';
import { writeJson } from '../files/atomic.ts';
import { OutputPathError } from '../files/errors.ts';
import { GitHubPlatform } from '../platform/github.ts';
import { LocalPlatform } from '../platform/local.ts';
import type { Platform, StepResult } from '../platform/port.ts';
import { STEPS } from './catalog.ts';
import { runStep } from './runner.ts';
import { defineStep, input } from './spec.ts';
import type { StepDefinition, StepModule } from './types.ts';

const spec = defineStep({
  id: 'demo',
  title: 'Demo',
  summary: 'A step for tests.',
  inputs: {
    report: input.path({ description: 'Report.', default: 'r.json', writes: 'file' }),
    output: input.path({ description: 'Dir.', default: 'out', writes: 'directory', writesUnless: 'push' }),
    push: input.boolean({ description: 'Push.', default: 'false' }),
    password: input.string({ description: 'Password.', secret: true }),
  },
  outputs: { report: { description: 'Report.' } },
});

const SUMMARY = { title: 't', passed: true, headline: 'h', blocks: [] };

/** A step that writes its report (saying it passed) and logs what it was given. */
function demoStep(calls: string[]): StepDefinition {
  const mod: StepModule<{ report: string; password?: string }> = {
    async run(inputs, platform: Platform) {
      calls.push('run');
      platform.info(`logging in with ${inputs.password}`);
      await writeJson(inputs.report, { passed: true });
      return { passed: true, outputs: { report: inputs.report }, summary: SUMMARY, checks: [] };
    },
  };
  return {
    spec,
    load: async () => {
      calls.push('load');
      return mod as StepModule<never>;
    },
  };
}

/** The local terminal, with its error lines kept and publish made to fail on demand. */
class Recording extends LocalPlatform {
  errors: string[] = [];
  failPublish = false;
  override error(message: string) {
    this.errors.push(message);
  }
  override info() {}
  override async publish(_spec: typeof spec, _result: StepResult) {
    if (this.failPublish)
      throw new OutputPathError("'x.env' cannot be written: no space left on the device (ENOSPC)");
  }
}

describe('runStep', () => {
  it('masks secret inputs itself: the adapter only reads them', async () => {
    const p = new GitHubPlatform({ INPUT_PASSWORD: 's3cr3t-value', INPUT_REPORT: '/dev/null' });
    const read = await captureStdout(() => p.readInputs(spec));
    assert.doesNotMatch(read.out, /add-mask/, 'reading inputs masks nothing');
    const ran = await captureStdout(() => runStep(demoStep([]), p));
    assert.equal(ran.value, EXIT.passed);
    assert.equal(ran.out.match(/::add-mask::s3cr3t-value\n/g)?.length, 1);
    // Not anchored: the test runner's own messages share stdout while the step is loaded.
    assert.match(ran.out, /logging in with \*\*\*\n/);
    assert.ok(!ran.out.replace('::add-mask::s3cr3t-value', '').includes('s3cr3t-value'));
  });

  it('masks a kubeconfig given as its content, not the path of one: an error must say which file', async (t) => {
    const dir = await tempDir(t);
    const rollback = STEPS.find((s) => s.spec.id === 'rollback')!;
    const run = (kubeconfig: string) =>
      captureStdout(() =>
        runStep(
          rollback,
          new GitHubPlatform({
            INPUT_APP: 'iris',
            INPUT_REASON: 'a test',
            INPUT_KUBECONFIG: kubeconfig,
            INPUT_REPORT: join(dir, 'rollback.json'),
          }),
        ),
      );
    const missing = join(dir, 'kube.yaml');
    const byPath = await run(missing);
    assert.equal(byPath.value, EXIT.configuration, byPath.out);
    assert.doesNotMatch(byPath.out, /add-mask/);
    assert.ok(
      byPath.out.includes(
        `cannot read the kubeconfig the 'kubeconfig' input (with: kubeconfig: …) (${missing}): ENOENT`,
      ),
      byPath.out,
    );

    const byContent = await run('apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n');
    assert.equal(byContent.value, EXIT.configuration, byContent.out);
    assert.match(byContent.out, /::add-mask::kind: Config\n/);
  });

  it('checks every output path before the step is even loaded', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'taken'));
    const calls: string[] = [];
    const p = new Recording({ report: join(dir, 'taken'), output: join(dir, 'image') });
    assert.equal(await runStep(demoStep(calls), p), EXIT.configuration);
    assert.deepEqual(calls, [], 'nothing loaded, nothing read');
    assert.deepEqual(p.errors, [
      `--report '${join(dir, 'taken')}' cannot be written: it is a directory (EISDIR). Set --report to the path of a file, e.g. one inside that directory.`,
    ]);
  });

  it('skips the check of a path the inputs say is not written', async (t) => {
    const dir = await tempDir(t);
    const calls: string[] = [];
    const blocked = { report: join(dir, 'r.json'), output: '/dev/null' };
    const refused = new Recording(blocked);
    assert.equal(await runStep(demoStep(calls), refused), EXIT.configuration);
    assert.match(
      refused.errors[0]!,
      /^--output '\/dev\/null' cannot be written: it is a file, not a directory/,
    );
    const pushing = new Recording({ ...blocked, push: 'true' });
    assert.equal(await runStep(demoStep(calls), pushing), EXIT.passed, pushing.errors.join('\n'));
  });

  it('takes back the report when publishing fails after it: no "passed" beside exit 2', async (t) => {
    const dir = await tempDir(t);
    const report = join(dir, 'r.json');
    const p = new Recording({ report, output: join(dir, 'image') });
    p.failPublish = true;
    assert.equal(await runStep(demoStep([]), p), EXIT.configuration);
    assert.match(p.errors[0]!, /ENOSPC/);
    await assert.rejects(stat(report), { code: 'ENOENT' });
    p.failPublish = false;
    assert.equal(await runStep(demoStep([]), p), EXIT.passed);
    assert.deepEqual(JSON.parse(await readFile(report, 'utf8')), { passed: true });
  });
});
