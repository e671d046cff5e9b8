/** Wall time and peak RSS of a command, through GNU time (Debian's `time`). */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Measured {
  seconds: number;
  peakMiB: number;
  /** User + system CPU seconds: less disturbed than wall by other work on a shared machine. */
  cpuSeconds: number;
  code: number | null;
  stdout: string;
}

/**
 * The least wall time a run's CPU time allows on this machine's cores, were every core busy from
 * start to end: a ratio target below it needs less CPU, not more overlap.
 */
export const leastWall = (m: Measured) => m.cpuSeconds / cpus().length;

const FORMAT = ['-f', '__TIME__ %e %M %U %S'];

function parse(stderr: string, cmd: string, code: number | null, stdout: string): Measured {
  const m = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
  if (!m) throw new Error(`could not time ${cmd}: ${stderr.slice(-500)}`);
  return {
    seconds: Number(m[1]),
    peakMiB: Number(m[2]) / 1024,
    cpuSeconds: Number(m[3]) + Number(m[4]),
    code,
    stdout,
  };
}

export function measure(cmd: string, args: string[], cwd: string): Measured {
  const r = spawnSync('/usr/bin/time', [...FORMAT, cmd, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return parse(r.stderr, cmd, r.status, r.stdout);
}

/**
 * The same without blocking this process's event loop (for a bench that serves something in
 * process while the command runs), with `env` added and the wall timed here to the millisecond
 * (GNU time's %e has 10 ms steps; `seconds` is this finer figure).
 */
export function measureAsync(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Measured & { stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', [...FORMAT, cmd, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      try {
        resolve({ ...parse(stderr, cmd, code, stdout), seconds, stderr });
      } catch (e) {
        reject(e);
      }
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `min–max` of the figures, two decimals: the spread beside a median. */
export function range(xs: number[]): string {
  return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these. */
const TICKS = 100;

/** Resident memory (MiB) and CPU time (ms, all threads) of a running process, from /proc. */
export function procStats(pid: number): { rssMiB: number; cpuMs: number } {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMiB: Number(rss?.[1]) / 1024, cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS };
}
