/**
 * Debian's /usr/bin/python3 (which has numpy, scipy and scikit-learn; a pyenv python3 on PATH may
 * not) running one of the reference scripts here: JSON in on stdin, JSON out on stdout.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function python<T>(script: string, input: unknown): T {
  const out = execFileSync('/usr/bin/python3', [fileURLToPath(new URL(script, import.meta.url))], {
    input: JSON.stringify(input),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return JSON.parse(out) as T;
}
