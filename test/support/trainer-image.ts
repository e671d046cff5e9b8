/**
 * The training image for train-dispatch's node tests: the Node 24 base (kube-base-image.ts) plus
 * the modelship CLI bundled from this checkout (scripts/build-cli.ts, so the job pushes with the
 * code under test, not a stale dist/) and the example trainer (examples/trainer/main.ts as it is;
 * examples/train.ts bundled, since it imports @modelship/core), with a training CSV (the iris
 * split unless a test gives its own, as a commit would). Built once per test process and data,
 * and pushed to the node's registry as `<registry>/acme/trainer`.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { build } from 'esbuild';
import { assembleImage, bufferSource } from '../../packages/core/src/oci/assemble.ts';
import { resolveBase } from '../../packages/core/src/oci/base.ts';
import { Registry } from '../../packages/core/src/oci/client.ts';
import { publish } from '../../packages/core/src/oci/publish.ts';
import { dirLayer } from '../../packages/core/src/oci/tar.ts';
import { MEDIA } from '../../packages/core/src/oci/types.ts';
import { pushNodeBaseImage } from './kube-base-image.ts';
import { quietLog } from './kube-images.ts';
import { NODE, ROOT, run, tempDir } from './run.ts';

const images = new Map<string, Promise<string>>();
let code: Promise<Layer[]> | undefined;
type Layer = Parameters<typeof assembleImage>[0]['layers'][number];

/** `registry/acme/trainer@sha256:…`, training on the CSV `data` (default: the example's training split). */
export async function trainerImage(
  t: TestContext,
  registryHost: string,
  data = join(ROOT, 'examples/data/iris-train.csv'),
): Promise<string> {
  const csv = await readFile(data);
  const key = `${registryHost} ${createHash('sha256').update(csv).digest('hex')}`;
  let image = images.get(key);
  if (!image) {
    image = buildTrainer(t, registryHost, csv);
    images.set(key, image);
  }
  return image;
}

/** The CLI and the trainer, built once per test process: only the data differs between images. */
async function codeLayers(t: TestContext): Promise<Layer[]> {
  const dir = await tempDir(t);
  const cli = join(dir, 'modelship');
  const trainer = join(dir, 'trainer');
  const built = await run(NODE, [join(ROOT, 'scripts/build-cli.ts'), cli], { cwd: ROOT });
  if (built.code !== 0) throw new Error(`build-cli failed: ${built.stderr}`);
  await mkdir(trainer, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'examples/train.ts')],
    outfile: join(trainer, 'train.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    logLevel: 'warning',
  });
  await copyFile(join(ROOT, 'examples/trainer/main.ts'), join(trainer, 'main.ts'));
  return Promise.all([layerOf(cli, 'opt/modelship'), layerOf(trainer, 'opt/trainer')]);
}

async function layerOf(from: string, to: string): Promise<Layer> {
  const l = await dirLayer(from, to, { mtime: 0 });
  return {
    descriptor: { mediaType: MEDIA.ociLayerGzip, digest: l.digest, size: l.size },
    diffId: l.diffId,
    source: bufferSource(l.gzip),
  };
}

async function buildTrainer(t: TestContext, registryHost: string, csv: Buffer): Promise<string> {
  code ??= codeLayers(t);
  const dir = await tempDir(t);
  await writeFile(join(dir, 'train.csv'), csv);
  const base = await resolveBase(await pushNodeBaseImage(registryHost), {
    platform: { os: 'linux', architecture: 'amd64' },
  });
  const assembled = assembleImage({
    base,
    layers: [...(await code), await layerOf(dir, 'opt/data')],
    settings: {
      env: { TRAIN_SCRIPT: '/opt/trainer/train.mjs', TRAIN_DATA: '/opt/data/train.csv' },
      entrypoint: ['node', '/opt/trainer/main.ts'],
    },
    annotations: {},
    created: 0,
  });
  const registry = await Registry.connect(registryHost);
  await publish(assembled, { kind: 'registry', registry, repo: 'acme/trainer' }, ['test'], quietLog);
  return `${registryHost}/acme/trainer@${assembled.digest}`;
}
