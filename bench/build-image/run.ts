/**
 * bench/build-image: `modelship build-image --runtime artifact --push true` of a 1 GiB model
 * (seeded random bytes) to a local registry (CNCF distribution, test/support/registry.ts), as a
 * cold CLI process with an empty digest cache, to a new repository; then the same model again
 * under a new tag with the digest cache that push left (the same runner pushing again), through a
 * counting proxy; against the peer, `skopeo copy` of an OCI layout holding the same bytes as its
 * one layer to a new repository, and the floor, `sha256sum` of the file. Each push goes to a
 * registry started for it alone (fresh storage, fresh port), so nothing is deduplicated or
 * mounted from an earlier run. Then, for memory, the same cold push of a 4 GiB model, once.
 *
 * Run alone: node bench/build-image/run.ts [repeats=5] (prints the figures; RESULTS.md is left alone).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type RegistryServer, startProxy, startRegistry } from '../../test/support/registry.ts';
import { CLI } from '../../test/support/run.ts';
import { type Measured, measureAsync, median, procStats } from '../measure.ts';
import { GiB, generateLayout, generateModel } from './generate.ts';

/** Below this much free disk the 4 GiB run is skipped: the model, and its copy in the registry. */
const FREE_FOR_4GIB = 15e9;
/** What a push may send beyond the model: the config blob (~0.5 KiB); the manifest is not counted. */
const SMALL = 64 << 10;

/** What the registries and proxies leave to do at exit (each is stopped explicitly before that). */
const atExit: (() => unknown)[] = [];
process.once('exit', () => {
  for (const fn of atExit) void fn();
});
const hooks = { after: (fn: () => unknown) => void atExit.push(fn) };

/** CPU seconds (user + system) a process has used so far. */
const cpuOf = (pid: number) => procStats(pid).cpuMs / 1000;

type Run = Measured & { registryCpuSeconds: number };

/** A command timed against a registry started for it, stopped (and its storage removed) after. */
async function withRegistry<T>(fn: (reg: RegistryServer) => Promise<T>): Promise<T> {
  const reg = await startRegistry(hooks);
  try {
    return await fn(reg);
  } finally {
    await reg.stop();
  }
}

async function timed(
  reg: RegistryServer,
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Run> {
  const pid = reg.child.pid!;
  const before = cpuOf(pid);
  const m = await measureAsync(cmd, args, cwd, env);
  if (m.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${m.code}:\n${m.stderr.slice(-2000)}`);
  return { ...m, registryCpuSeconds: cpuOf(pid) - before };
}

interface Pushed {
  digest: string;
  'model-digest': string;
  'uploaded-bytes': string | number;
}

export async function benchBuildImage(root: string, work: string, repeats = 5) {
  const dir = join(work, 'build-image');
  const cli = CLI;
  const model = await generateModel(dir, GiB);
  const layoutCache = mkdtempSync(join(tmpdir(), 'modelship-bench-cache-'));
  const layout = generateLayout(root, model, join(dir, 'layout-1gib'), layoutCache);
  rmSync(layoutCache, { recursive: true, force: true });
  const node = process.execPath;
  const push = (m: string, host: string, repo: string, tag: string) => [
    cli,
    'build-image',
    ...['--model', m, '--name', `${host}/${repo}`, '--runtime', 'artifact'],
    ...['--push', 'true', '--tags', tag],
  ];
  const parse = (r: Measured) => JSON.parse(r.stdout) as Pushed;

  const runs: {
    cold: Run;
    coldUploaded: number;
    second: Run;
    secondUploaded: number;
    secondProxy: { received: number; requests: string[]; modelLayerSent: boolean };
    uploadOnly: Run;
    skopeo: Run;
    hash: Measured;
    openssl: Measured;
  }[] = [];
  for (let i = 0; i < repeats; i++) {
    const cache = mkdtempSync(join(tmpdir(), 'modelship-bench-cache-'));
    try {
      const repo = `bench/model-${Date.now()}-${i}`;
      const ours = await withRegistry(async (reg) => {
        const cold = await timed(reg, node, push(model, reg.host, repo, 'v1'), dir, {
          MODELSHIP_CACHE_DIR: cache,
        });
        const c = parse(cold);
        if (c['model-digest'] !== layout.digest)
          throw new Error(`modelship digested the model as ${c['model-digest']}, not ${layout.digest}`);
        // The second push goes through a proxy that counts the request bodies it passes on.
        const proxy = await startProxy(hooks, reg.host, { buffered: false });
        try {
          const second = await timed(reg, node, push(model, proxy.host, repo, 'v2'), dir, {
            MODELSHIP_CACHE_DIR: cache,
          });
          const hex = layout.digest.slice('sha256:'.length);
          const requests = proxy.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);
          const modelLayerSent = proxy.requests.some(
            (r) =>
              (r.method === 'PATCH' || r.method === 'PUT' || r.method === 'POST') &&
              (r.path.includes(hex) || r.method === 'PATCH'),
          );
          return {
            cold,
            coldUploaded: Number(c['uploaded-bytes']),
            second,
            secondUploaded: Number(parse(second)['uploaded-bytes']),
            secondProxy: { received: proxy.received, requests, modelLayerSent },
          };
        } finally {
          await proxy.stop();
        }
      });
      if (ours.coldUploaded < GiB)
        throw new Error(`the cold push sent ${ours.coldUploaded} bytes, less than the model`);
      if (ours.secondUploaded > SMALL || ours.secondProxy.received > SMALL || ours.secondProxy.modelLayerSent)
        throw new Error(`the second push sent model bytes: ${JSON.stringify(ours.secondProxy)}`);
      // The cold push split: the same push with the digest now cached, to a fresh registry, is the
      // upload alone; cold minus this is the hashing pass (and the cache write).
      const uploadOnly = await withRegistry((reg) =>
        timed(reg, node, push(model, reg.host, repo, 'v1'), dir, { MODELSHIP_CACHE_DIR: cache }),
      );
      const skopeo = await withRegistry((reg) =>
        timed(
          reg,
          'skopeo',
          [
            'copy',
            '--dest-tls-verify=false',
            `oci:${layout.dir}:${layout.tag}`,
            `docker://${reg.host}/bench/skopeo-${Date.now()}-${i}:${layout.tag}`,
          ],
          dir,
        ),
      );
      const hash = await measureAsync('sha256sum', [model], dir);
      if (!hash.stdout.startsWith(layout.digest.slice(7))) throw new Error(`sha256sum gave ${hash.stdout}`);
      const openssl = await measureAsync('openssl', ['dgst', '-sha256', model], dir);
      runs.push({ ...ours, uploadOnly, skopeo, hash, openssl });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }

  const large = await bigRun(dir, push);
  const med = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f));
  const cold = med((r) => r.cold.seconds);
  const skopeo = med((r) => r.skopeo.seconds);
  const sha = med((r) => r.hash.seconds);
  return {
    repeats,
    model: layout.digest,
    runs,
    median: {
      cold,
      coldCpu: med((r) => r.cold.cpuSeconds),
      coldRegistryCpu: med((r) => r.cold.registryCpuSeconds),
      second: med((r) => r.second.seconds),
      uploadOnly: med((r) => r.uploadOnly.seconds),
      skopeo,
      skopeoCpu: med((r) => r.skopeo.cpuSeconds),
      skopeoRegistryCpu: med((r) => r.skopeo.registryCpuSeconds),
      sha256sum: sha,
      openssl: med((r) => r.openssl.seconds),
    },
    ratio: { vsSkopeo: cold / skopeo, vsSha256sum: cold / sha },
    peakMiB: {
      cold: Math.max(...runs.map((r) => r.cold.peakMiB)),
      second: Math.max(...runs.map((r) => r.second.peakMiB)),
      skopeo: Math.max(...runs.map((r) => r.skopeo.peakMiB)),
    },
    large,
  };
}

/** The cold push of a 4 GiB model, once, for memory; skipped when the disk is short. */
async function bigRun(
  dir: string,
  push: (m: string, host: string, repo: string, tag: string) => string[],
): Promise<{ skipped: string } | { run: Run; uploaded: number }> {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < FREE_FOR_4GIB)
    return { skipped: `${(free / 1e9).toFixed(1)} GB free on the disk of bench/.work, less than 15 GB` };
  const model = await generateModel(dir, 4 * GiB);
  const cache = mkdtempSync(join(tmpdir(), 'modelship-bench-cache-'));
  try {
    return await withRegistry(async (reg) => {
      const args = push(model, reg.host, `bench/large-${Date.now()}`, 'v1');
      const run = await timed(reg, process.execPath, args, dir, { MODELSHIP_CACHE_DIR: cache });
      return { run, uploaded: Number((JSON.parse(run.stdout) as Pushed)['uploaded-bytes']) };
    });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

export type BuildImageBench = Awaited<ReturnType<typeof benchBuildImage>>;

const s = (x: number) => `${x.toFixed(2)} s`;
const mib = (x: number) => `${x.toFixed(0)} MiB`;
const ok = (met: boolean) => (met ? 'met' : 'missed');

/** The section of RESULTS.md. */
export function buildImageMarkdown(b: BuildImageBench): string {
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  const row = (name: string, pick: (r: BuildImageBench['runs'][number]) => Measured & Partial<Run>) => {
    const xs = b.runs.map(pick);
    const reg =
      xs[0]!.registryCpuSeconds === undefined ? '–' : s(median(xs.map((x) => x.registryCpuSeconds!)));
    return `| ${name} | ${s(median(xs.map((x) => x.seconds)))} (${spread(xs.map((x) => x.seconds))}) | ${s(median(xs.map((x) => x.cpuSeconds)))} | ${reg} | ${mib(Math.max(...xs.map((x) => x.peakMiB)))} |`;
  };
  const m = b.median;
  const same = (xs: number[]) => (xs.every((x) => x === xs[0]) ? `${xs[0]}` : xs.join(' / '));
  const second = same(b.runs.map((r) => r.secondUploaded));
  const received = same(b.runs.map((r) => r.secondProxy.received));
  const proxied = b.runs[0]!.secondProxy;
  // The requests of the first run's second push, with the repository left out and digests shortened.
  const requests = proxied.requests.map((r) =>
    r
      .replace(/\/v2\/bench\/[^/]+\//, '…/')
      .replace(/\/uploads\/[0-9a-f-]{36}/, '/uploads/<id>')
      .replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/, (_, hex: string) =>
        b.model.startsWith(`sha256:${hex}`) ? '<model>' : `sha256:${hex}…`,
      ),
  );
  const large =
    'skipped' in b.large
      ? `4 GiB: skipped (${b.large.skipped}).`
      : `4 GiB, cold push once: **${mib(b.large.run.peakMiB)}** (${s(b.large.run.seconds)}, ${(b.large.uploaded / GiB).toFixed(2)} GiB sent; target < 200 MB: ${ok(b.large.run.peakMiB * 2 ** 20 < 200e6)}).`;
  return `## build-image (bench/build-image)

A 1 GiB model (seeded random bytes) pushed by \`modelship build-image --runtime artifact --push
true\` (the bundled CLI, a cold process, an empty digest cache) to a new repository on a local
CNCF distribution (\`docker-registry\` 2.8, filesystem storage); the peer \`skopeo copy
oci:<layout>:bench docker://…\` of an OCI layout holding the same bytes as its one layer (written
by modelship beforehand; skopeo keeps the layer as it is, the same digest, since it does not
compress a layer of an unknown media type), to a new repository; the floor \`sha256sum\` of the
file. Each push has a registry of its own (fresh storage and port), so nothing is deduplicated or
mounted. The second push: the same file under a new tag, to the same repository, with the digest
cache the first push left (the same runner pushing again), through a proxy that counts request
bodies. The file is in the page cache for every run (${(totalmem() / 2 ** 30).toFixed(0)} GiB of RAM). Median of ${b.repeats} interleaved
runs (range in brackets); CPU is the command's user + system time, the registry's is its own
(from /proc) over the same run; peak RSS the highest of the runs.

| run | wall | CPU | registry CPU | peak RSS |
| --- | ---: | ---: | ---: | ---: |
${row('modelship build-image, cold (hash, then upload)', (r) => r.cold)}
${row('modelship build-image, second push, new tag', (r) => r.second)}
${row('modelship build-image, upload alone (digest cached, fresh registry)', (r) => r.uploadOnly)}
${row('peer: skopeo copy (one layer, the same bytes)', (r) => r.skopeo)}
${row('floor: sha256sum of the file', (r) => r.hash)}
${row('openssl dgst -sha256 of the file (for scale)', (r) => r.openssl)}

- vs skopeo: **${b.ratio.vsSkopeo.toFixed(2)}×** (target ≤ 1.5×: ${ok(b.ratio.vsSkopeo <= 1.5)}); vs sha256sum ${b.ratio.vsSha256sum.toFixed(2)}×. Of the cold push's ${s(m.cold)}, the upload alone takes ${s(m.uploadOnly)} (${(m.uploadOnly / m.skopeo).toFixed(2)}× skopeo's copy, which hashes as it sends) and the hashing pass before it the other ${s(m.cold - m.uploadOnly)}.
- second push: **${s(m.second)}** (target < 0.5 s: ${ok(m.second < 0.5)}), ${second} bytes uploaded by the CLI's count in each run (the new config blob: the version annotation changed; the model layer was found in the registry and not sent: ${ok(b.runs.every((r) => !r.secondProxy.modelLayerSent))}); the proxy passed on ${received} request-body bytes (config and manifest) in ${proxied.requests.length} requests: ${requests.map((r) => `\`${r}\``).join(', ')}.
- peak RSS, 1 GiB: **${mib(b.peakMiB.cold)}** cold, ${mib(b.peakMiB.second)} second push (target < 200 MB: ${ok(b.peakMiB.cold * 2 ** 20 < 200e6)}); skopeo ${mib(b.peakMiB.skopeo)}. ${large}
`;
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..', '..');
  const b = await benchBuildImage(root, join(root, 'bench', '.work'), Number(process.argv[2] ?? 5));
  console.log(JSON.stringify(b, (k, v) => (k === 'stdout' || k === 'stderr' ? undefined : v), 1));
  console.log(buildImageMarkdown(b));
  process.exit(0);
}
