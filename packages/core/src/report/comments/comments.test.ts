import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { captureStdout } from '../../../../../test/support/capture.ts';
import { FakeGitHub, FakeGitLab } from '../../../../../test/support/forge-fakes.ts';
import { ConfigurationError } from '../../errors.ts';
import { GitHubPlatform, pullRequestOf } from '../../platform/github.ts';
import { GitLabPlatform, mergeRequestOf } from '../../platform/gitlab.ts';
import { LocalPlatform } from '../../platform/local.ts';
import { compose, marker } from './body.ts';
import { GITHUB_COMMENT_LIMIT, type PullRequest, upsertGitHubComment } from './github.ts';
import { GITLAB_NOTE_LIMIT, type MergeRequest, upsertGitLabNote } from './gitlab.ts';
import { ApiFailure, nextLink, retryDelay } from './http.ts';

const GH_TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
const GL_TOKEN = 'glpat-Zq3xN8vT2wLm5kRb7yHd';
// Fast retries: what is asserted is the outcome, never the timing.
const quick = { backoffMs: 5, maxDelayMs: 20, timeoutMs: 5_000 };

/** Everything a failure could show a user: the message, the rendered line, the stack, the cause. */
function everything(e: unknown): string {
  const err = e as Error & { render?: () => string };
  return [String(e), err.render?.() ?? '', err.stack ?? '', JSON.stringify(e), String(err.cause ?? '')].join(
    '\n',
  );
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('GitHub pull request comments', () => {
  let gh: FakeGitHub;
  let pr: PullRequest;
  before(async () => {
    gh = await new FakeGitHub(GH_TOKEN).start();
  });
  after(() => gh?.close());
  beforeEach(() => {
    gh.comments.length = 0;
    gh.failures.length = 0;
    gh.seen.length = 0;
    gh.pageSize = 2;
    gh.seed(
      { author: 'alice', body: 'LGTM, but the drift on `price` worries me' },
      { author: 'bob', body: '> <!-- modelship:validate-data -->\n> quoting the bot, not the bot' },
      { author: 'dependabot[bot]', body: 'Bumps onnxruntime-node' },
    );
    pr = { api: gh.url, repository: gh.repository, number: gh.pull };
  });

  it('creates one comment, then edits that same comment on every later run', async () => {
    const others = structuredClone(gh.comments);
    const first = await upsertGitHubComment(pr, 'validate-data', 'run 1', GH_TOKEN, quick);
    assert.equal(first.action, 'created');
    assert.match(first.url ?? '', /^https:\/\/github\.com\/octo-org\/models\/pull\/42#issuecomment-\d+$/);
    for (const run of [2, 3]) {
      const next = await upsertGitHubComment(pr, 'validate-data', `run ${run}`, GH_TOKEN, quick);
      assert.deepEqual([next.action, next.id], ['updated', first.id]);
    }
    const ours = gh.ours(marker('validate-data'));
    assert.equal(ours.length, 1);
    assert.equal(ours[0]?.body, `${marker('validate-data')}\nrun 3`);
    assert.deepEqual(gh.comments.slice(0, 3), others, 'the other comments are untouched');
    // Ours is the fourth comment, so with two a page it was found by following Link to page 2.
    assert.ok(gh.seen.some((r) => r.method === 'GET' && /\/repositories\/\d+\/.*page=2/.test(r.url)));
    const writes = gh.seen.filter((r) => r.method !== 'GET').map((r) => r.method);
    assert.deepEqual(writes, ['POST', 'PATCH', 'PATCH']);
  });

  it('sends the headers GitHub asks for', async () => {
    await upsertGitHubComment(pr, 'k', 'x', GH_TOKEN, quick);
    for (const { headers } of gh.seen) {
      assert.equal(headers.authorization, `Bearer ${GH_TOKEN}`);
      assert.equal(headers.accept, 'application/vnd.github+json');
      assert.equal(headers['x-github-api-version'], '2022-11-28');
      assert.match(headers['user-agent'] ?? '', /^modelship\//);
    }
  });

  it('keeps one comment per key', async () => {
    await upsertGitHubComment(pr, 'validate-data', 'a', GH_TOKEN, quick);
    await upsertGitHubComment(pr, 'evaluate', 'b', GH_TOKEN, quick);
    await upsertGitHubComment(pr, 'validate-data', 'a2', GH_TOKEN, quick);
    await upsertGitHubComment(pr, 'evaluate', 'b2', GH_TOKEN, quick);
    assert.equal(gh.comments.length, 5);
    assert.deepEqual(
      [gh.ours(marker('validate-data')).map((c) => c.body), gh.ours(marker('evaluate')).map((c) => c.body)],
      [[`${marker('validate-data')}\na2`], [`${marker('evaluate')}\nb2`]],
    );
  });

  it('retries a 500 and a 429 with Retry-After, then succeeds', async () => {
    gh.failures.push(
      { method: 'GET', status: 500 },
      { method: 'GET', status: 429, headers: { 'Retry-After': '0' } },
    );
    const r = await upsertGitHubComment(pr, 'k', 'x', GH_TOKEN, quick);
    assert.equal(r.action, 'created');
    assert.equal(gh.ours(marker('k')).length, 1);
  });

  it('retries a request that never answers, after its timeout', async () => {
    gh.failures.push({ method: 'GET', status: 0, hang: true });
    const r = await upsertGitHubComment(pr, 'k', 'x', GH_TOKEN, { ...quick, timeoutMs: 300 });
    assert.equal(r.action, 'created');
  });

  it('does not leave a second comment when a create succeeded but its reply was lost', async () => {
    gh.failures.push({ method: 'POST', status: 502, afterWork: true });
    const r = await upsertGitHubComment(pr, 'k', 'x', GH_TOKEN, quick);
    assert.equal(gh.ours(marker('k')).length, 1);
    assert.equal(r.id, gh.ours(marker('k'))[0]?.id);
  });

  it('gives up after three attempts with an error that says so', async () => {
    for (let i = 0; i < 3; i++) gh.failures.push({ method: 'GET', status: 503 });
    const e = await rejection(upsertGitHubComment(pr, 'k', 'x', GH_TOKEN, quick));
    assert.ok(!(e instanceof ConfigurationError));
    assert.match(String(e), /after 3 attempts.*503/);
    assert.equal(gh.seen.length, 3);
  });

  it('turns a rejected token into a ConfigurationError that never shows the token', async () => {
    const wrong = 'ghp_wrongTokenWrongTokenWrongToken0123';
    const e = await rejection(
      upsertGitHubComment(pr, 'k', 'x', wrong, { ...quick, credential: 'GITHUB_TOKEN' }),
    );
    assert.ok(e instanceof ConfigurationError);
    assert.match(e.render(), /GitHub rejected the token from GITHUB_TOKEN \(401: Bad credentials\)/);
    assert.match(e.render(), /pull-requests: write/);
    assert.ok(!everything(e).includes(wrong));
    assert.equal(gh.seen.length, 1, 'a 401 is not retried');
  });

  it('explains a read-only token with the permission to add', async () => {
    const readOnly = 'ghs_readOnlyForkTokenReadOnlyForkToken';
    gh.readOnly.add(readOnly);
    const e = await rejection(upsertGitHubComment(pr, 'k', 'x', readOnly, quick));
    assert.ok(e instanceof ConfigurationError);
    assert.match(
      e.render(),
      /may not comment on pull request #42 of octo-org\/models \(403: Resource not accessible/,
    );
    assert.match(e.render(), /permissions: pull-requests: write/);
    assert.ok(!everything(e).includes(readOnly));
  });

  it('says which pull request was not found', async () => {
    const e = await rejection(upsertGitHubComment({ ...pr, number: 404 }, 'k', 'x', GH_TOKEN, quick));
    assert.ok(e instanceof ConfigurationError);
    assert.match(e.message, /pull request #404 of octo-org\/models was not found/);
  });

  it('refuses a token with a line break inside without quoting it', async () => {
    const e = await rejection(upsertGitHubComment(pr, 'k', 'x', `${GH_TOKEN}\nextra`, quick));
    assert.ok(e instanceof ConfigurationError);
    assert.ok(!everything(e).includes(GH_TOKEN));
    assert.equal(gh.seen.length, 0);
  });

  it('trims a token pasted with its trailing newline', async () => {
    const r = await upsertGitHubComment(pr, 'k', 'x', `${GH_TOKEN}\n`, quick);
    assert.equal(r.action, 'created');
  });

  it('truncates an oversized body to the limit, with a note, and GitHub accepts it', async () => {
    const row = '| feature | 0.123 | 0.456 | ok |\n';
    const huge = `## Report\n\n<details><summary>all columns</summary>\n\n${row.repeat(3000)}</details>\n`;
    await upsertGitHubComment(pr, 'k', huge, GH_TOKEN, quick);
    const body = gh.ours(marker('k'))[0]?.body ?? '';
    assert.ok(body.length <= GITHUB_COMMENT_LIMIT && body.length > GITHUB_COMMENT_LIMIT - 1000);
    assert.ok(body.startsWith(`${marker('k')}\n## Report`));
    assert.match(body, /<\/details>\n\n> \[!NOTE\]\n> Truncated: [\d,]+ characters did not fit/);
  });
});

describe('GitLab merge request notes', () => {
  let gl: FakeGitLab;
  let mr: MergeRequest;
  before(async () => {
    gl = await new FakeGitLab(GL_TOKEN).start();
  });
  after(() => gl?.close());
  beforeEach(() => {
    gl.comments.length = 0;
    gl.failures.length = 0;
    gl.seen.length = 0;
    gl.pageSize = 2;
    gl.linkHeader = true;
    gl.seed(
      { author: 'alice', body: 'Please rerun evaluate' },
      { author: 'root', body: 'added 1 commit\n\n<ul><li>a1b2c3 - tweak</li></ul>', system: true },
      { author: 'bob', body: 'Approved' },
    );
    mr = {
      api: gl.api,
      project: gl.projectId,
      iid: gl.iid,
      webUrl: 'https://gitlab.example.com/ml/models/-/merge_requests/7',
    };
  });

  for (const linkHeader of [true, false]) {
    it(`creates one note and edits it on later runs (pages via ${linkHeader ? 'Link' : 'X-Next-Page'})`, async () => {
      gl.linkHeader = linkHeader;
      const others = structuredClone(gl.comments);
      const first = await upsertGitLabNote(mr, 'validate-data', 'run 1', GL_TOKEN, quick);
      assert.equal(first.action, 'created');
      assert.equal(first.url, `https://gitlab.example.com/ml/models/-/merge_requests/7#note_${first.id}`);
      for (const run of [2, 3]) {
        const next = await upsertGitLabNote(mr, 'validate-data', `run ${run}`, GL_TOKEN, quick);
        assert.deepEqual([next.action, next.id], ['updated', first.id]);
      }
      assert.deepEqual(
        gl.ours(marker('validate-data')).map((n) => n.body),
        [`${marker('validate-data')}\nrun 3`],
      );
      assert.deepEqual(gl.comments.slice(0, 3), others);
      assert.ok(gl.seen.some((r) => r.method === 'GET' && /[?&]page=2\b/.test(r.url)));
      assert.ok(gl.seen.every((r) => r.headers['private-token'] === GL_TOKEN && !r.headers.authorization));
      assert.ok(gl.seen.filter((r) => r.method === 'GET').every((r) => /per_page=100&sort=asc/.test(r.url)));
      assert.deepEqual(
        gl.seen.filter((r) => r.method !== 'GET').map((r) => r.method),
        ['POST', 'PUT', 'PUT'],
      );
    });
  }

  it('keeps one note per key', async () => {
    await upsertGitLabNote(mr, 'a', '1', GL_TOKEN, quick);
    await upsertGitLabNote(mr, 'b', '1', GL_TOKEN, quick);
    await upsertGitLabNote(mr, 'a', '2', GL_TOKEN, quick);
    assert.deepEqual(
      [gl.ours(marker('a')).length, gl.ours(marker('b')).length, gl.comments.length],
      [1, 1, 5],
    );
  });

  it('retries a 500 once and succeeds', async () => {
    gl.failures.push({ method: 'POST', status: 500 });
    const r = await upsertGitLabNote(mr, 'k', 'x', GL_TOKEN, quick);
    assert.equal(r.action, 'created');
    assert.equal(gl.ours(marker('k')).length, 1);
  });

  it('turns a 401 into a ConfigurationError about the api scope, without the token', async () => {
    const jobToken = 'glcbt-64_Dk3vYpQ9sLr2TxWf8mBn';
    const e = await rejection(
      upsertGitLabNote(mr, 'k', 'x', jobToken, { ...quick, credential: 'GITLAB_TOKEN' }),
    );
    assert.ok(e instanceof ConfigurationError);
    assert.match(e.render(), /GitLab rejected the token from GITLAB_TOKEN \(401: 401 Unauthorized\)/);
    assert.match(e.render(), /api scope.*masked CI\/CD variable.*CI_JOB_TOKEN cannot write notes/);
    assert.ok(!everything(e).includes(jobToken));
  });

  it('says which merge request was not found', async () => {
    const e = await rejection(upsertGitLabNote({ ...mr, iid: 99 }, 'k', 'x', GL_TOKEN, quick));
    assert.ok(e instanceof ConfigurationError);
    assert.match(e.message, /merge request !99 of project 4711 was not found/);
  });

  it('truncates a body over a million characters', async () => {
    await upsertGitLabNote(mr, 'k', 'y'.repeat(1_200_000), GL_TOKEN, quick);
    const body = gl.ours(marker('k'))[0]?.body ?? '';
    assert.ok(body.length <= GITLAB_NOTE_LIMIT);
    assert.match(body, /Truncated: [\d,]+ characters/);
  });
});

describe('comment bodies', () => {
  it('closes a code fence left open by the cut', () => {
    const body = `intro\n\`\`\`\n${'x = 1\n'.repeat(100)}\`\`\`\n`;
    const out = compose('k', body, 300);
    assert.ok(out.length <= 300);
    assert.equal((out.match(/^```/gm) ?? []).length % 2, 0);
    assert.match(out, /```\n\n> \[!NOTE\]/);
  });

  it('always fits the limit and keeps the marker, whatever the cut lands on', () => {
    const pieces = [
      'plain line',
      '```ts',
      '~~~~',
      '<details><summary>x</summary>',
      '</details>',
      '😀😀😀',
      '| a | b |',
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const lines = Array.from({ length: 20 + (next() % 200) }, () => pieces[next() % pieces.length]);
      const body = lines.join(next() % 2 ? '\n' : '');
      const limit = 200 + (next() % 2000);
      const out = compose('k', body, limit);
      assert.ok(out.length <= limit, `${out.length} > ${limit}`);
      assert.ok(out.startsWith(`${marker('k')}\n`));
      assert.doesNotMatch(out, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, 'no lone surrogate');
    }
  });

  it('rejects a key that could end the hidden marker', () => {
    assert.throws(() => marker('a -->b'));
    assert.throws(() => marker('a--b'));
    assert.equal(marker('validate-data:train'), '<!-- modelship:validate-data:train -->');
  });

  it('honours Retry-After up to the cap, and backs off without one', () => {
    const call = { method: 'GET' as const, url: 'https://api.github.com/x', headers: {}, token: 't0k3n' };
    const failure = (after?: number) => new ApiFailure(call, 429, 'slow down', true, after);
    assert.equal(retryDelay(failure(1500), 1, { maxDelayMs: 4000 }), 1500);
    assert.equal(retryDelay(failure(3_600_000), 1, { maxDelayMs: 4000 }), 4000);
    assert.deepEqual(
      [1, 2, 3].map((n) => retryDelay(failure(), n, { backoffMs: 500, maxDelayMs: 1500 })),
      [500, 1000, 1500],
    );
  });

  it('follows a next link only on the API origin, since the token goes with it', () => {
    const h = (link: string) => new Headers({ link });
    assert.equal(
      nextLink(h('<https://api.github.com/x?page=2>; rel="next"'), 'https://api.github.com'),
      'https://api.github.com/x?page=2',
    );
    assert.throws(() => nextLink(h('<https://evil.example/x>; rel="next"'), 'https://api.github.com'));
    assert.equal(
      nextLink(h('<https://api.github.com/x?page=1>; rel="prev"'), 'https://api.github.com'),
      undefined,
    );
  });
});

describe('platform adapters', () => {
  let dir: string;
  let gh: FakeGitHub;
  let gl: FakeGitLab;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modelship-comments-'));
    gh = await new FakeGitHub(GH_TOKEN).start();
    gl = await new FakeGitLab(GL_TOKEN).start();
  });
  after(async () => {
    // Whatever `before` got to start is stopped, even if it failed half-way.
    await Promise.all([gh?.close(), gl?.close(), dir && rm(dir, { recursive: true, force: true })]);
  });

  async function event(name: string, payload: unknown): Promise<string> {
    const path = join(dir, `${name}.json`);
    await writeFile(path, JSON.stringify(payload));
    return path;
  }

  it('finds the pull request in a pull_request event, and in a comment on one', async () => {
    const env = { GITHUB_REPOSITORY: 'octo-org/models', GITHUB_EVENT_NAME: 'pull_request' };
    const pull = await event('pr', { action: 'synchronize', number: 42, pull_request: { number: 42 } });
    assert.deepEqual(pullRequestOf({ ...env, GITHUB_EVENT_PATH: pull }), {
      api: 'https://api.github.com',
      repository: 'octo-org/models',
      number: 42,
    });
    const comment = await event('ic', { issue: { number: 9, pull_request: { url: 'x' } } });
    const ghes = { ...env, GITHUB_EVENT_PATH: comment, GITHUB_API_URL: 'https://ghe.example/api/v3' };
    assert.deepEqual(pullRequestOf(ghes), {
      api: 'https://ghe.example/api/v3',
      repository: 'octo-org/models',
      number: 9,
    });
    const issue = await event('issue', { issue: { number: 9 } });
    assert.ok('skip' in pullRequestOf({ ...env, GITHUB_EVENT_PATH: issue }));
  });

  it('skips on a push event, without a request', async () => {
    const push = await event('push', { ref: 'refs/heads/main', after: 'a1b2c3', commits: [] });
    const p = new GitHubPlatform({
      GITHUB_EVENT_PATH: push,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REPOSITORY: 'octo-org/models',
      GITHUB_API_URL: gh.url,
    });
    const r = await p.upsertComment('k', 'x', GH_TOKEN);
    assert.deepEqual(r, { status: 'skipped', reason: 'the push event is not a pull request' });
    assert.equal(gh.seen.length, 0);
  });

  it('comments through the GitHub adapter with GITHUB_TOKEN, masking it', async () => {
    const pull = await event('pr2', { pull_request: { number: 42 } });
    const p = new GitHubPlatform({
      GITHUB_EVENT_PATH: pull,
      GITHUB_REPOSITORY: gh.repository,
      GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: GH_TOKEN,
    });
    const { value, out } = await captureStdout(() => p.upsertComment('validate-data', 'hello', undefined));
    assert.equal(value.status, 'created');
    assert.match(out, new RegExp(`^::add-mask::${GH_TOKEN}$`, 'm'));
    const leaks = out.split('\n').filter((l) => l.includes(GH_TOKEN) && !l.startsWith('::add-mask::'));
    assert.deepEqual(leaks, [], "the token appears only in the runner's mask command");
    const again = await captureStdout(() => p.upsertComment('validate-data', 'hello again', undefined));
    assert.equal(again.value.status, 'updated');
    const bad = new GitHubPlatform({
      GITHUB_EVENT_PATH: pull,
      GITHUB_REPOSITORY: gh.repository,
      GITHUB_API_URL: gh.url,
    });
    const e = await rejection(
      captureStdout(() => bad.upsertComment('k', 'x', 'ghp_someOtherToken1234', 'github-token')),
    );
    assert.ok(e instanceof ConfigurationError);
    assert.match(e.message, /the 'github-token' input/);
  });

  it('finds the merge request on GitLab, in the target project for forks', () => {
    assert.ok('skip' in mergeRequestOf({ CI_API_V4_URL: 'https://gitlab.com/api/v4', CI_PROJECT_ID: '1' }));
    assert.deepEqual(
      mergeRequestOf({
        CI_API_V4_URL: 'https://gitlab.com/api/v4',
        CI_PROJECT_ID: '2',
        CI_MERGE_REQUEST_PROJECT_ID: '1',
        CI_MERGE_REQUEST_IID: '7',
        CI_MERGE_REQUEST_PROJECT_URL: 'https://gitlab.com/ml/models',
      }),
      {
        api: 'https://gitlab.com/api/v4',
        project: '1',
        iid: 7,
        webUrl: 'https://gitlab.com/ml/models/-/merge_requests/7',
      },
    );
  });

  it('skips on GitLab without a token, saying how to provide one', async () => {
    const p = new GitLabPlatform(
      {},
      { CI_API_V4_URL: gl.api, CI_PROJECT_ID: gl.projectId, CI_MERGE_REQUEST_IID: '7' },
    );
    const r = await p.upsertComment('k', 'x', undefined);
    assert.equal(r.status, 'skipped');
    assert.match(
      r.status === 'skipped' ? r.reason : '',
      /MODELSHIP_GITLAB_TOKEN.*api scope|api scope.*MODELSHIP_GITLAB_TOKEN/,
    );
    assert.equal(gl.seen.length, 0);
  });

  it('writes the note through the GitLab adapter with MODELSHIP_GITLAB_TOKEN', async () => {
    const p = new GitLabPlatform(
      {},
      {
        CI_API_V4_URL: gl.api,
        CI_PROJECT_ID: gl.projectId,
        CI_MERGE_REQUEST_IID: String(gl.iid),
        CI_PROJECT_URL: 'https://gitlab.example.com/ml/models',
        MODELSHIP_GITLAB_TOKEN: GL_TOKEN,
        GITLAB_TOKEN: 'glpat-notThisOneNotThisOne',
      },
    );
    const r = await p.upsertComment('validate-data', 'hello', undefined);
    assert.equal(r.status, 'created');
    assert.match(r.status === 'created' ? (r.url ?? '') : '', /\/ml\/models\/-\/merge_requests\/7#note_\d+$/);
  });

  it('skips locally', async () => {
    const r = await new LocalPlatform({}, {}).upsertComment('k', 'x', 'token');
    assert.deepEqual(r, {
      status: 'skipped',
      reason: 'not running in a pull request / merge request pipeline',
    });
  });
});
