/**
 * How much memory DuckDB may use. A fixed 1 GB made a 12 MB file of 10,000 columns fail with
 * a verdict nobody could act on; the limit now follows the machine (half of what this process
 * may use, cgroup limits included), and MODELSHIP_MEMORY_LIMIT sets it outright.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { ConfigurationError } from '../errors.ts';
import { formatBytes } from '../format/bytes.ts';

export const MEMORY_ENV = 'MODELSHIP_MEMORY_LIMIT';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Memory this process may use: the machine's, or less where a cgroup (a container) caps it. */
export function availableMemory(): number {
  let limit = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(v) && v > 0) limit = Math.min(limit, v);
    } catch {
      // no such cgroup file here: the machine's memory stands
    }
  }
  return limit;
}

/** The limit in bytes: from MODELSHIP_MEMORY_LIMIT (`8GB`, `512MiB`, `75%`), else half of what is available. */
export function memoryLimit(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MEMORY_ENV]?.trim();
  if (!raw) return Math.floor(availableMemory() / 2);
  const m = /^(\d+(?:\.\d+)?)\s*(%|[kmgt]i?b|b)$/i.exec(raw);
  const bytes =
    m &&
    (m[2] === '%' ? (availableMemory() * Number(m[1])) / 100 : Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  if (!bytes || bytes < 64 * 2 ** 20) {
    throw new ConfigurationError(
      `${MEMORY_ENV}=${JSON.stringify(raw)} is not a memory size of at least 64 MiB`,
      {
        fix: `Set it like 8GB, 512MiB or 75% (of this machine's ${formatBytes(availableMemory())}), or unset it for half.`,
      },
    );
  }
  return Math.floor(bytes);
}

/** DuckDB's "Out of Memory Error" as the user's to fix: what ran out, and how to give it more. */
export function outOfMemory(e: unknown, limit: number): ConfigurationError | undefined {
  const message = e instanceof Error ? e.message : String(e);
  if (!/Out of Memory/i.test(message)) return undefined;
  return new ConfigurationError(`the data engine ran out of memory at its limit of ${formatBytes(limit)}`, {
    fix: `Raise it with ${MEMORY_ENV} (e.g. ${MEMORY_ENV}=${formatBytes(limit * 2).replace(' ', '')}, or 90%), run on a machine with more memory, or give fewer or narrower files.`,
    cause: e,
  });
}
