import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { captureStdout } from '../../../../test/support/capture.ts';
import { defineStep, input } from '../steps/spec.ts';
import { GitHubPlatform } from './github.ts';

const spec = defineStep({
  id: 'demo',
  title: 'Demo',
  summary: 'A step for tests.',
  inputs: {
    'label-column': input.string({ description: 'Label.' }),
    password: input.string({ description: 'Password.', secret: true }),
  },
  outputs: { value: { description: 'v' } },
});

const capture = async (fn: () => void | Promise<void>) => (await captureStdout(fn)).out;

describe('GitHub platform', () => {
  it('reads INPUT_ variables with dashes kept, as the runner sets them', () => {
    const p = new GitHubPlatform({ 'INPUT_LABEL-COLUMN': 'species' });
    assert.equal(p.readInputs(spec)['label-column'], 'species');
  });

  it('masks a secret once told (the runner tells it) and redacts it everywhere after', async () => {
    const p = new GitHubPlatform({ INPUT_PASSWORD: 's3cr3t-value' });
    const out = await capture(() => {
      p.mask(p.readInputs(spec).password!);
      p.info('logging in with s3cr3t-value');
      p.warn('bad s3cr3t-value', { file: 'a.yml', line: 3 });
    });
    assert.match(out, /^::add-mask::s3cr3t-value$/m);
    assert.match(out, /^logging in with \*\*\*$/m);
    assert.match(out, /^::warning file=a\.yml,line=3::bad \*\*\*$/m);
  });

  it('escapes workflow commands so data cannot inject one', async () => {
    const p = new GitHubPlatform({});
    const out = await capture(() =>
      p.error('line1\n::set-output name=x::y 100%', { file: 'a,b:c.yml', line: 2 }),
    );
    assert.equal(out, '::error file=a%2Cb%3Ac.yml,line=2::line1%0A::set-output name=x::y 100%25\n');
  });

  it('writes outputs in the delimiter form, multi-line values included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-'));
    const file = join(dir, 'out');
    await writeFile(file, '');
    const p = new GitHubPlatform({ GITHUB_OUTPUT: file });
    await capture(() =>
      p.publish(spec, {
        passed: true,
        outputs: { value: 'a\nb' },
        checks: [],
        seconds: 0,
        summary: { title: 't', passed: true, headline: 'h', blocks: [] },
      }),
    );
    assert.match(await readFile(file, 'utf8'), /^value<<(ghadelimiter_[0-9a-f-]+)\na\nb\n\1\n$/);
  });
});
