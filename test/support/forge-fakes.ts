/**
 * For tests only: GitHub's issue-comments API and GitLab's merge-request-notes API on
 * 127.0.0.1, answering in the shapes the real ones send (bodies, status codes, Link and
 * X-Next-Page headers, error messages), with comments kept in memory and failures on demand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredComment {
  id: number;
  body: string;
  author: string;
  system?: boolean;
}

/** An answer given instead of the real one, to the next request that matches. */
export interface Failure {
  method?: string;
  status: number;
  headers?: Record<string, string>;
  /** Do the real work first, then answer with the failure: a reply lost on the way back. */
  afterWork?: boolean;
  /** Never answer: the client's timeout has to fire. */
  hang?: boolean;
}

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What the two fakes share: the store, the failure queue, the request log, the server. */
abstract class FakeForge {
  readonly comments: StoredComment[] = [];
  readonly failures: Failure[] = [];
  readonly seen: Seen[] = [];
  /** The server's own page size cap, so tests reach page 2 with a handful of comments. */
  pageSize = 100;
  protected nextId = 1000;
  private server: Server | undefined;
  url = '';

  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }

  seed(...comments: Omit<StoredComment, 'id'>[]): void {
    for (const c of comments) this.comments.push({ id: this.nextId++, ...c });
  }

  ours(prefix: string): StoredComment[] {
    return this.comments.filter((c) => c.body.startsWith(prefix));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  protected abstract route(method: string, url: URL, body: { body?: unknown }): Reply;
  protected abstract authorized(req: IncomingMessage): Reply | undefined;
  protected abstract failureBody(status: number): unknown;

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    this.seen.push({ method, url: req.url ?? '', headers: req.headers });
    const i = this.failures.findIndex((f) => !f.method || f.method === method);
    const failure = i >= 0 ? this.failures.splice(i, 1)[0] : undefined;
    if (failure?.hang) return; // closeAllConnections() ends it
    let reply: Reply | undefined;
    if (!failure?.afterWork) reply = failure && this.failed(failure);
    reply ??= this.authorized(req) ?? this.route(method, new URL(req.url ?? '/', this.url), parse(text));
    if (failure?.afterWork) reply = this.failed(failure);
    res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  private failed(f: Failure): Reply {
    return { status: f.status, body: this.failureBody(f.status), headers: f.headers ?? {} };
  }

  protected page(all: StoredComment[], url: URL): { items: StoredComment[]; page: number; pages: number } {
    const per = Math.min(Number(url.searchParams.get('per_page') ?? 20), this.pageSize);
    const page = Number(url.searchParams.get('page') ?? 1);
    const pages = Math.max(1, Math.ceil(all.length / per));
    return { items: all.slice((page - 1) * per, page * per), page, pages };
  }

  protected links(url: URL, page: number, pages: number): string {
    const at = (p: number) => {
      const u = new URL(url);
      u.searchParams.set('page', String(p));
      return u.href;
    };
    const rel: string[] = [];
    if (page > 1) rel.push(`<${at(page - 1)}>; rel="prev"`);
    if (page < pages) rel.push(`<${at(page + 1)}>; rel="next"`);
    rel.push(`<${at(1)}>; rel="first"`, `<${at(pages)}>; rel="last"`);
    return rel.join(', ');
  }
}

const parse = (text: string) => (text ? (JSON.parse(text) as { body?: unknown }) : {});
const stamp = '2024-05-02T09:14:07Z';

/** api.github.com: /repos/{owner}/{repo}/issues/{n}/comments and /issues/comments/{id}. */
export class FakeGitHub extends FakeForge {
  readonly repository = 'octo-org/models';
  readonly repositoryId = 640213;
  /** The one pull request there is; every stored comment is on it. */
  readonly pull = 42;
  /** Tokens that may read but not write, as on a pull request from a fork. */
  readonly readOnly = new Set<string>();
  protected authorized(req: IncomingMessage): Reply | undefined {
    // GitHub refuses a request without a User-Agent before it looks at anything else.
    if (!req.headers['user-agent'])
      return { status: 403, body: { message: 'Request forbidden by administrative rules.' } };
    const auth = req.headers.authorization ?? '';
    const token = /^(?:Bearer|token) (.+)$/.exec(auth)?.[1];
    if (token !== this.token && !(token && this.readOnly.has(token)))
      return { status: 401, body: this.failureBody(401) };
    if (token && this.readOnly.has(token) && req.method !== 'GET')
      return { status: 403, body: this.failureBody(403) };
    return undefined;
  }

  protected route(method: string, url: URL, body: { body?: unknown }): Reply {
    // The Link header points at /repositories/{id}/…, as GitHub's does; both spellings work.
    const m =
      /^\/(?:repos\/([^/]+\/[^/]+)|repositories\/(\d+))\/issues\/(?:(\d+)\/comments|comments\/(\d+))$/.exec(
        url.pathname,
      );
    const repoOk = m && (m[1] === this.repository || Number(m[2]) === this.repositoryId);
    if (!m || !repoOk) return { status: 404, body: this.failureBody(404) };
    if (m[3] !== undefined) {
      const issue = Number(m[3]);
      if (issue !== this.pull) return { status: 404, body: this.failureBody(404) };
      if (method === 'GET') return this.list(url);
      if (method === 'POST') return this.create(body);
    } else if (method === 'PATCH') {
      const c = this.comments.find((x) => x.id === Number(m[4]));
      if (!c) return { status: 404, body: this.failureBody(404) };
      if (typeof body.body !== 'string') return this.invalid();
      c.body = body.body;
      return { status: 200, body: this.shape(c) };
    }
    return { status: 404, body: this.failureBody(404) };
  }

  private list(url: URL): Reply {
    const { items, page, pages } = this.page(this.comments, url);
    const canonical = new URL(`/repositories/${this.repositoryId}/issues/${this.pull}/comments`, this.url);
    canonical.search = url.search;
    const headers: Record<string, string> = pages > 1 ? { Link: this.links(canonical, page, pages) } : {};
    return { status: 200, body: items.map((c) => this.shape(c)), headers };
  }

  private create(body: { body?: unknown }): Reply {
    if (typeof body.body !== 'string') return this.invalid();
    if (body.body.length > 65_536) return this.invalid('body is too long (maximum is 65536 characters)');
    const c = { id: this.nextId++, body: body.body, author: 'github-actions[bot]' };
    this.comments.push(c);
    return {
      status: 201,
      body: this.shape(c),
      headers: { Location: `${this.url}/repos/${this.repository}/issues/comments/${c.id}` },
    };
  }

  private invalid(message = 'Invalid request.'): Reply {
    return {
      status: 422,
      body: { message, documentation_url: 'https://docs.github.com/rest/issues/comments', status: '422' },
    };
  }

  private shape(c: StoredComment) {
    const issue = this.pull;
    const bot = c.author.endsWith('[bot]');
    return {
      url: `${this.url}/repos/${this.repository}/issues/comments/${c.id}`,
      html_url: `https://github.com/${this.repository}/pull/${issue}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${this.repository}/issues/${issue}`,
      id: c.id,
      node_id: `IC_kwDOJ${c.id}`,
      user: { login: c.author, id: bot ? 41898282 : 583231, type: bot ? 'Bot' : 'User', site_admin: false },
      created_at: stamp,
      updated_at: stamp,
      author_association: bot ? 'NONE' : 'MEMBER',
      body: c.body,
      reactions: { url: '', total_count: 0 },
      performed_via_github_app: null,
    };
  }

  protected failureBody(status: number): unknown {
    const message =
      { 401: 'Bad credentials', 403: 'Resource not accessible by integration', 404: 'Not Found' }[status] ??
      (status >= 500 ? 'Server Error' : 'API rate limit exceeded');
    return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
  }
}

/** gitlab.com/api/v4: /projects/{id}/merge_requests/{iid}/notes[/{note_id}]. */
export class FakeGitLab extends FakeForge {
  readonly projectId = '4711';
  readonly iid = 7;
  /** GitLab sends a Link header too; turn it off to exercise X-Next-Page alone. */
  linkHeader = true;

  get api(): string {
    return `${this.url}/api/v4`;
  }

  protected authorized(req: IncomingMessage): Reply | undefined {
    if (req.headers['private-token'] !== this.token) return { status: 401, body: this.failureBody(401) };
    return undefined;
  }

  protected route(method: string, url: URL, body: { body?: unknown }): Reply {
    const m = /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(url.pathname);
    if (!m || decodeURIComponent(m[1]!) !== this.projectId || Number(m[2]) !== this.iid)
      return { status: 404, body: { message: '404 Project Not Found' } };
    if (m[3] === undefined && method === 'GET') return this.list(url);
    if (m[3] === undefined && method === 'POST') {
      if (typeof body.body !== 'string') return { status: 400, body: { error: 'body is missing' } };
      const n = { id: this.nextId++, body: body.body, author: 'project_4711_bot_5f1c' };
      this.comments.push(n);
      return { status: 201, body: this.shape(n) };
    }
    if (m[3] !== undefined && method === 'PUT') {
      const n = this.comments.find((x) => x.id === Number(m[3]));
      if (!n) return { status: 404, body: { message: '404 Not found' } };
      if (typeof body.body !== 'string') return { status: 400, body: { error: 'body is missing' } };
      n.body = body.body;
      return { status: 200, body: this.shape(n) };
    }
    return { status: 405, body: { message: '405 Method Not Allowed' } };
  }

  private list(url: URL): Reply {
    const { items, page, pages } = this.page(this.comments, url);
    const headers: Record<string, string> = {
      'X-Page': String(page),
      'X-Per-Page': String(Math.min(Number(url.searchParams.get('per_page') ?? 20), this.pageSize)),
      'X-Next-Page': page < pages ? String(page + 1) : '',
      'X-Prev-Page': page > 1 ? String(page - 1) : '',
      'X-Total': String(this.comments.length),
      'X-Total-Pages': String(pages),
    };
    if (this.linkHeader) headers.Link = this.links(url, page, pages);
    return { status: 200, body: items.map((n) => this.shape(n)), headers };
  }

  private shape(n: StoredComment) {
    return {
      id: n.id,
      type: null,
      body: n.body,
      attachment: null,
      author: { id: 9001, username: n.author, name: n.author, state: 'active', locked: false },
      created_at: stamp,
      updated_at: stamp,
      system: n.system ?? false,
      noteable_id: 3310,
      noteable_type: 'MergeRequest',
      project_id: Number(this.projectId),
      resolvable: false,
      confidential: false,
      internal: false,
      noteable_iid: this.iid,
      commands_changes: {},
    };
  }

  protected failureBody(status: number): unknown {
    const text: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };
    return {
      message: `${status} ${text[status] ?? (status >= 500 ? 'Internal Server Error' : 'Too Many Requests')}`,
    };
  }
}
