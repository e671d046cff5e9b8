/**
 * One comment per step on a GitHub pull request, edited on every run. A pull request's
 * conversation is its issue's, so this speaks the issue-comments API.
 */

import { ConfigurationError } from '../../errors.ts';
import { VERSION } from '../../version.ts';
import { type ApiCall, ApiFailure, call, cleanToken, type HttpOptions, nextLink } from './http.ts';
import { type Comment, type CommentApi, type UpsertResult, upsert } from './upsert.ts';

/** GitHub's limit on a comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface PullRequest {
  /** The REST API root, GITHUB_API_URL: https://api.github.com, or GHES's /api/v3. */
  api: string;
  /** `owner/name`. */
  repository: string;
  number: number;
}

export interface GitHubCommentOptions extends HttpOptions {
  /** Where the token came from, named in errors: `the 'github-token' input`, `GITHUB_TOKEN`. */
  credential?: string;
}

export async function upsertGitHubComment(
  pr: PullRequest,
  key: string,
  body: string,
  token: string,
  options: GitHubCommentOptions = {},
): Promise<UpsertResult> {
  const credential = options.credential ?? 'the token given to the step';
  const secret = cleanToken(token, credential);
  if (!/^[\w.-]+\/[\w.-]+$/.test(pr.repository))
    throw new ConfigurationError(`'${pr.repository}' is not a GitHub repository (owner/name)`);
  try {
    return await upsert(commentApi(pr, secret, options), key, body, GITHUB_COMMENT_LIMIT, options);
  } catch (e) {
    throw e instanceof ApiFailure ? explain(e, pr, credential) : e;
  }
}

function commentApi(pr: PullRequest, token: string, options: HttpOptions): CommentApi {
  const api = pr.api.replace(/\/+$/, '');
  const issues = `${api}/repos/${pr.repository}/issues`;
  const auth = { Authorization: `Bearer ${token}` };
  const headers = {
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': '2022-11-28',
    'User-Agent': `modelship/${VERSION}`,
  };
  const send = async (c: Omit<ApiCall, 'headers'>) => (await call({ ...c, headers, auth }, options)).data;
  return {
    async *pages() {
      const seen = new Set<string>();
      let url: string | undefined = `${issues}/${pr.number}/comments?per_page=100`;
      // A server that keeps pointing at a page already read would otherwise loop forever.
      while (url && !seen.has(url)) {
        seen.add(url);
        const reply = await call({ method: 'GET', url, headers, auth }, options);
        if (!Array.isArray(reply.data)) throw new Error(`GitHub listed comments as ${typeof reply.data}`);
        yield reply.data.map(comment);
        url = nextLink(reply.headers, api);
      }
    },
    create: async (text) =>
      comment(await send({ method: 'POST', url: `${issues}/${pr.number}/comments`, body: { body: text } })),
    update: async (id, text) =>
      comment(await send({ method: 'PATCH', url: `${issues}/comments/${id}`, body: { body: text } })),
  };
}

function comment(raw: unknown): Comment {
  const c = (raw ?? {}) as { id?: unknown; body?: unknown; html_url?: unknown };
  if (typeof c.id !== 'number') throw new Error('GitHub answered a comment without an id');
  return {
    id: c.id,
    body: typeof c.body === 'string' ? c.body : '',
    url: typeof c.html_url === 'string' ? c.html_url : undefined,
  };
}

/** The user's mistakes become ConfigurationErrors that say what to change; the rest stay errors. */
function explain(f: ApiFailure, pr: PullRequest, credential: string): Error {
  const where = `pull request #${pr.number} of ${pr.repository}`;
  const said = f.detail ? ` (${f.status}: ${f.detail})` : ` (${f.status})`;
  if (f.status === 401)
    return new ConfigurationError(`GitHub rejected the token from ${credential}${said}`, {
      fix:
        `Pass a valid token: the workflow's own \${{ github.token }} works once the job has ` +
        '"permissions: pull-requests: write".',
    });
  if (f.status === 403)
    return new ConfigurationError(`the token from ${credential} may not comment on ${where}${said}`, {
      fix:
        'Add "permissions: pull-requests: write" to the workflow or the job; a personal or app token ' +
        'needs write access to pull requests. Pull requests from forks and from Dependabot get a ' +
        'read-only token.',
    });
  if (f.status === 404)
    return new ConfigurationError(`${where} was not found at ${pr.api}${said}`, {
      fix: 'Check GITHUB_REPOSITORY and the event; a private repository also answers 404 to a token that cannot read it.',
    });
  const tries = f.attempts > 1 ? ` after ${f.attempts} attempts` : '';
  return new Error(`commenting on ${where} failed${tries}: GitHub API ${f.message}`);
}
