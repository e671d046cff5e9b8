/**
 * A server the tests start as a child process (docker-registry, prometheus): its output kept for
 * failure messages, a readiness wait, and a stop that escalates to SIGKILL, so no test leaves one
 * behind. Ports come from the OS (bind 0), and the fixtures retry when one is taken meanwhile.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Daemon {
  child: ChildProcess;
  /** Resolves when the process has exited, or could not start at all. */
  exited: Promise<void>;
  logs(): string;
}

const LOG_LIMIT = 1 << 20;
const STOP_GRACE_MS = 10_000;

export function launch(command: string, args: string[]): Daemon {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer) => {
    log += d;
    if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT / 2);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => {
      log += `${log ? '\n' : ''}could not start '${command}' (${e.message}); scripts/bootstrap.sh installs it`;
      resolve();
    });
  });
  return { child, exited, logs: () => log };
}

export const running = (d: Daemon) =>
  d.child.exitCode === null && d.child.signalCode === null && d.child.pid !== undefined;

export async function terminate(d: Daemon): Promise<void> {
  // Not running also covers a spawn that failed: its 'error' (and the log line) is still to come.
  if (!running(d)) return d.exited;
  d.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_GRACE_MS)));
  const outcome = await Promise.race([d.exited, grace]);
  clearTimeout(timer);
  if (outcome === 'late' && running(d)) d.child.kill('SIGKILL');
  await d.exited;
}

/** Polls `probe` until it answers true, the process exits, or time runs out. */
export async function waitReady(
  d: Daemon,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<'ready' | 'exited' | 'timed out'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running(d)) return 'exited';
    if (await probe().catch(() => false)) return 'ready';
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return 'timed out';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type Hooks = { after: (fn: () => unknown) => void };

/** A fixture's temp folder and its process: stopped and removed once, by the test's `after` or earlier. */
export async function fixture(t: Hooks, prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let daemon: Daemon | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (daemon) await terminate(daemon);
    await rm(dir, { recursive: true, force: true });
  };
  t.after(stop);
  const own = (d: Daemon) => {
    daemon = d;
  };
  return { dir, stop, own };
}

/**
 * Starts a daemon on a port the OS just called free, and tries another when something took it in
 * between ("address already in use"); any other failure is thrown with the daemon's output.
 */
export async function onFreePort<D extends Daemon>(
  name: string,
  start: (port: number) => D | Promise<D>,
  ready: (d: D) => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; own: (d: D) => void },
): Promise<D> {
  for (let attempt = 1; ; attempt++) {
    const d = await start(await freePort());
    options.own(d);
    const outcome = await waitReady(d, () => ready(d), options.timeoutMs, options.intervalMs);
    if (outcome === 'ready') return d;
    await terminate(d);
    if (!/address already in use/i.test(d.logs()) || attempt === PORT_ATTEMPTS)
      throw new Error(`${name} did not become ready (${outcome}):\n${d.logs()}`);
  }
}

const PORT_ATTEMPTS = 5;
