/**
 * `modelship serve` as a child process on a free loopback port (port 0; the URL is read from its
 * "listening" log line), waited on until ready, and always stopped after the test. bench/serve
 * starts its servers (and its bare peer, which logs the same line) through it too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import { cleanEnv, NODE, ROOT } from './run.ts';

export const SERVE_CLI = `${ROOT}/packages/cli/src/main.ts`;

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

type Hooks = Pick<TestContext, 'after'> | { after: (fn: () => unknown) => void };

/** The image's entrypoint: the bundled server alone, configured by the environment. */
export const SERVE_BUNDLE = `${ROOT}/dist/serve.mjs`;

/** `entry`: the CLI, the bundle, or the arguments of any script that logs `listening` as serve does. */
export async function startServe(
  t: Hooks,
  env: Record<string, string>,
  entry: 'cli' | 'bundle' | string[] = 'cli',
): Promise<ServeProcess> {
  const args = entry === 'cli' ? [SERVE_CLI, 'serve'] : entry === 'bundle' ? [SERVE_BUNDLE] : entry;
  const child = spawn(NODE, args, {
    cwd: ROOT,
    env: cleanEnv({ MODELSHIP_HOST: '127.0.0.1', MODELSHIP_PORT: '0', MODELSHIP_DEVICE: 'cpu', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const logs: Record<string, unknown>[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      buffer += d;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') resolve(String(entry.url));
        } catch {
          logs.push({ raw: line });
        }
        nl = buffer.indexOf('\n');
      }
    });
    void exited.then((code) =>
      reject(new Error(`serve exited ${code} before listening: ${JSON.stringify(logs)} ${stderr}`)),
    );
  });
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, child, logs, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`serve did not become ready: ${JSON.stringify(logs)} ${stderr}`);
}

/** POSTs an inference request; returns status and parsed body. */
export async function infer(url: string, model: string, body: unknown, init: RequestInit = {}) {
  const res = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** Runs serve until it exits by itself (a refused configuration): its exit code and all it printed. */
export function runServe(
  env: Record<string, string>,
  args: string[] = [],
  entry: 'cli' | 'bundle' = 'cli',
): Promise<{ code: number | null; out: string }> {
  const argv = entry === 'cli' ? [SERVE_CLI, 'serve', ...args] : [SERVE_BUNDLE, ...args];
  return new Promise((resolve) => {
    const child = spawn(NODE, argv, { cwd: ROOT, env: cleanEnv(env) });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/**
 * Raw HTTP/1.1 for what fetch will not send: a body that stops halfway, an odd request target.
 * Writes `head` and `body`, then waits for the server to close the connection (or, with `hangUp`,
 * closes it itself at once) and resolves with everything the server sent.
 */
export function rawRequest(url: string, head: string, body = '', options: { hangUp?: boolean } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise<string>((resolve, reject) => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${head}\r\n\r\n${body}`);
      if (options.hangUp) socket.destroy();
    });
    socket.on('data', (d) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}
