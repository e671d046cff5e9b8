/** Wall time and peak RSS of a command, through GNU time (Debian's `time`). */
import { spawnSync } from 'node:child_process';

export interface Measured {
  seconds: number;
  peakMiB: number;
  /** User + system CPU seconds: less disturbed than wall by other work on a shared machine. */
  cpuSeconds: number;
  code: number | null;
  stdout: string;
}

export function measure(cmd: string, args: string[], cwd: string): Measured {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %M %U %S', cmd, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const m = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`could not time ${cmd}: ${r.stderr.slice(-500)}`);
  return {
    seconds: Number(m[1]),
    peakMiB: Number(m[2]) / 1024,
    cpuSeconds: Number(m[3]) + Number(m[4]),
    code: r.status,
    stdout: r.stdout,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
