/**
 * A real OCI registry for tests: CNCF distribution (Debian's `docker-registry`, installed by
 * scripts/bootstrap.sh) with filesystem storage in a temporary folder, deletes enabled, on
 * 127.0.0.1 at a free port, always stopped after the test (SIGTERM, then SIGKILL) and its folder
 * removed.
 *
 *   const reg = await startRegistry(t);                                       // anonymous push and pull
 *   const reg = await startRegistry(t, { auth: 'htpasswd', users: { alice: 'pw' } });
 *   const reg = await startRegistry(t, { auth: 'token', users, access: (user, repo, asked) => … });
 *   await Registry.connect(reg.host, { credentials: reg.credentials.alice });
 *
 * `htpasswd` is Basic auth against a bcrypt htpasswd file (made with apache2-utils' `htpasswd`,
 * the password given on stdin, never on a command line). `token` is Bearer auth against the
 * token server in token-server.ts, running in the test process. `MODELSHIP_TEST_REGISTRY` names
 * another binary than the `docker-registry` on PATH.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Daemon, fixture, launch, onFreePort } from './daemon.ts';
import { type AccessPolicy, startTokenServer, type TokenServer } from './token-server.ts';

export { freePort } from './daemon.ts';
export { type ProxyOptions, type RegistryProxy, startProxy } from './registry-proxy.ts';
export type { AccessPolicy, TokenRequest, TokenServer } from './token-server.ts';

export const DOCKER_REGISTRY = process.env.MODELSHIP_TEST_REGISTRY ?? 'docker-registry';

export interface RegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  /** name → password; default `{ alice: 'alice-secret-pw', bob: 'bob-secret-pw' }` when auth is on. */
  users?: Record<string, string>;
  /** token auth: what each user (undefined: anonymous) may do; default: any user everything, anonymous nothing. */
  access?: AccessPolicy;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryServer {
  /** `127.0.0.1:PORT`, what Registry.connect takes. */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The folder holding config.yml, the htpasswd file and the storage (`data/`). */
  dir: string;
  auth: 'none' | 'htpasswd' | 'token';
  /** Per user, ready for Registry.connect's `credentials`. */
  credentials: Record<string, Credentials>;
  /** token auth only. */
  tokenServer: TokenServer | undefined;
  child: ChildProcess;
  /** Everything the registry logged. */
  logs(): string;
  /** Stops it now (the test's `after` hook does it anyway); idempotent. */
  stop(): Promise<void>;
}

type Hooks = { after: (fn: () => unknown) => void };

const DEFAULT_USERS = { alice: 'alice-secret-pw', bob: 'bob-secret-pw' };
const SERVICE = 'modelship-test-registry';
const ISSUER = 'modelship-test-token-server';
const READY_TIMEOUT_MS = 30_000;

export async function startRegistry(t: Hooks, options: RegistryOptions = {}): Promise<RegistryServer> {
  const auth = options.auth ?? 'none';
  const users = auth === 'none' ? {} : (options.users ?? DEFAULT_USERS);
  const { dir, stop, own } = await fixture(t, 'modelship-registry-');

  await mkdir(join(dir, 'data'));
  let authConfig = '';
  let tokenServer: TokenServer | undefined;
  if (auth === 'htpasswd') {
    const file = join(dir, 'htpasswd');
    const lines = await Promise.all(
      Object.entries(users).map(([name, password]) => htpasswdLine(name, password)),
    );
    await writeFile(file, lines.join(''));
    authConfig = `auth:\n  htpasswd:\n    realm: modelship-test\n    path: ${JSON.stringify(file)}\n`;
  } else if (auth === 'token') {
    const access = options.access ?? ((user, _repo, asked) => (user ? asked : []));
    tokenServer = await startTokenServer(t, { dir, service: SERVICE, issuer: ISSUER, users, access });
    authConfig = [
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(tokenServer.realm)}`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${JSON.stringify(tokenServer.certFile)}`,
      '',
    ].join('\n');
  }

  const configFile = join(dir, 'config.yml');
  const started = await onFreePort(
    'docker-registry',
    async (port) => {
      await writeFile(configFile, config(dir, port, authConfig));
      return start(configFile, port);
    },
    answers,
    { timeoutMs: READY_TIMEOUT_MS, own },
  );
  const credentials: Record<string, Credentials> = {};
  for (const [username, password] of Object.entries(users)) credentials[username] = { username, password };
  return {
    host: started.host,
    url: `http://${started.host}`,
    dir,
    auth,
    credentials,
    tokenServer,
    child: started.child,
    logs: started.logs,
    stop,
  };
}

function config(dir: string, port: number, auth: string): string {
  return `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${JSON.stringify(join(dir, 'data'))}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
${auth}`;
}

/** A bcrypt line from apache2-utils' htpasswd, the password on stdin so no process list shows it. */
function htpasswdLine(name: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('htpasswd', ['-niB', name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) =>
      reject(new Error(`could not run htpasswd (${e.message}); scripts/bootstrap.sh installs it`)),
    );
    child.on('close', (code) =>
      code === 0 ? resolve(`${out.trim()}\n`) : reject(new Error(`htpasswd failed (${code}): ${err}`)),
    );
    child.stdin.end(`${password}\n`);
  });
}

type Started = Daemon & { host: string };

function start(configFile: string, port: number): Started {
  return { ...launch(DOCKER_REGISTRY, ['serve', configFile]), host: `127.0.0.1:${port}` };
}

/** Any HTTP answer from /v2/ (200, or 401 with auth on) means it is serving. */
const answers = (p: Started) =>
  fetch(`http://${p.host}/v2/`).then(async (r) => {
    await r.body?.cancel();
    return true;
  });
