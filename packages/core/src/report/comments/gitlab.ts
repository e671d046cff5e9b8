/**
 * One note per step on a GitLab merge request, edited on every run. It needs a project or
 * personal access token: CI_JOB_TOKEN may read a merge request but not write its notes.
 */
import { ConfigurationError } from '../../errors.ts';
import { VERSION } from '../../version.ts';
import { type ApiCall, ApiFailure, call, cleanToken, type HttpOptions, nextLink } from './http.ts';
import { type Comment, type CommentApi, type UpsertResult, upsert } from './upsert.ts';

/** GitLab's limit on a note body, in characters. */
export const GITLAB_NOTE_LIMIT = 1_000_000;

export interface MergeRequest {
  /** CI_API_V4_URL, e.g. https://gitlab.com/api/v4. */
  api: string;
  /** The numeric id of the project the merge request belongs to, or its full path. */
  project: string;
  iid: number;
  /** The merge request's page, for links to the note; the notes API does not give one. */
  webUrl?: string;
}

export interface GitLabNoteOptions extends HttpOptions {
  /** Where the token came from, named in errors: `MODELSHIP_GITLAB_TOKEN`. */
  credential?: string;
}

const TOKEN_FIX =
  'Create a project or personal access token with the api scope ' +
  'and store it in a masked CI/CD variable named MODELSHIP_GITLAB_TOKEN; CI_JOB_TOKEN cannot write notes.';

export async function upsertGitLabNote(
  mr: MergeRequest,
  key: string,
  body: string,
  token: string,
  options: GitLabNoteOptions = {},
): Promise<UpsertResult> {
  const credential = options.credential ?? 'the token given to the step';
  const secret = cleanToken(token, credential);
  try {
    return await upsert(noteApi(mr, secret, options), key, body, GITLAB_NOTE_LIMIT, options);
  } catch (e) {
    throw e instanceof ApiFailure ? explain(e, mr, credential) : e;
  }
}

function noteApi(mr: MergeRequest, token: string, options: HttpOptions): CommentApi {
  const api = mr.api.replace(/\/+$/, '');
  const notes = `${api}/projects/${encodeURIComponent(mr.project)}/merge_requests/${mr.iid}/notes`;
  const auth = { 'PRIVATE-TOKEN': token };
  const headers = {
    Accept: 'application/json',
    'User-Agent': `modelship/${VERSION}`,
  };
  const send = async (c: Omit<ApiCall, 'headers'>) =>
    note(mr, (await call({ ...c, headers, auth }, options)).data);
  return {
    async *pages() {
      const seen = new Set<string>();
      let url: string | undefined = `${notes}?per_page=100&sort=asc`;
      while (url && !seen.has(url)) {
        seen.add(url);
        const reply = await call({ method: 'GET', url, headers, auth }, options);
        if (!Array.isArray(reply.data)) throw new Error(`GitLab listed notes as ${typeof reply.data}`);
        // System notes ("added 1 commit") are GitLab's, never ours.
        yield reply.data.filter((n) => !(n as { system?: unknown })?.system).map((n) => note(mr, n));
        url = nextPage(reply.headers, url, api);
      }
    },
    create: (text) => send({ method: 'POST', url: notes, body: { body: text } }),
    update: (id, text) => send({ method: 'PUT', url: `${notes}/${id}`, body: { body: text } }),
  };
}

/** GitLab sends both a Link header and X-Next-Page (empty on the last page); either will do. */
function nextPage(headers: Headers, current: string, api: string): string | undefined {
  const linked = nextLink(headers, api);
  if (linked) return linked;
  const page = headers.get('x-next-page');
  if (!page || !/^\d+$/.test(page)) return undefined;
  const url = new URL(current);
  url.searchParams.set('page', page);
  return url.href;
}

function note(mr: MergeRequest, raw: unknown): Comment {
  const n = (raw ?? {}) as { id?: unknown; body?: unknown };
  if (typeof n.id !== 'number') throw new Error('GitLab answered a note without an id');
  return {
    id: n.id,
    body: typeof n.body === 'string' ? n.body : '',
    url: mr.webUrl ? `${mr.webUrl.replace(/\/+$/, '')}#note_${n.id}` : undefined,
  };
}

function explain(f: ApiFailure, mr: MergeRequest, credential: string): Error {
  const where = `merge request !${mr.iid} of project ${mr.project}`;
  const said = f.detail ? ` (${f.status}: ${f.detail})` : ` (${f.status})`;
  if (f.status === 401)
    return new ConfigurationError(`GitLab rejected the token from ${credential}${said}`, { fix: TOKEN_FIX });
  if (f.status === 403)
    return new ConfigurationError(`the token from ${credential} may not write notes on ${where}${said}`, {
      fix: TOKEN_FIX,
    });
  if (f.status === 404)
    return new ConfigurationError(`${where} was not found at ${mr.api}${said}`, {
      fix:
        'Check CI_PROJECT_ID and CI_MERGE_REQUEST_IID; GitLab also answers 404 to a token that cannot see ' +
        `the project. ${TOKEN_FIX}`,
    });
  const tries = f.attempts > 1 ? ` after ${f.attempts} attempts` : '';
  return new Error(`writing a note on ${where} failed${tries}: GitLab API ${f.message}`);
}
