/**
 * The training image for train-dispatch's node tests: the Node 24 base (kube-base-image.ts) plus
 * the modelship CLI bundled from this checkout (scripts/build-cli.ts, so the job pushes with the
 * code under test, not a stale dist/) and the example trainer (examples/trainer/main.ts as it is;
 * examples/train.ts bundled, since it imports @modelship/core), with the iris training split.
 * Built once per test process and pushed to the node's registry as `<registry>/acme/trainer`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
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

let image: Promise<string> | undefined;

/** `registry/acme/trainer@sha256:…` */
export function trainerImage(t: TestContext, registryHost: string): Promise<string> {
  image ??= buildTrainer(t, registryHost);
  return image;
}

async function buildTrainer(t: TestContext, registryHost: string): Promise<string> {
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
  await copyFile(join(ROOT, 'examples/data/iris-train.csv'), join(trainer, 'iris-train.csv'));

  const base = await resolveBase(await pushNodeBaseImage(registryHost), {
    platform: { os: 'linux', architecture: 'amd64' },
  });
  const layers = [];
  for (const [from, to] of [
    [cli, 'opt/modelship'],
    [trainer, 'opt/trainer'],
  ] as const) {
    const l = await dirLayer(from, to, { mtime: 0 });
    layers.push({
      descriptor: { mediaType: MEDIA.ociLayerGzip, digest: l.digest, size: l.size },
      diffId: l.diffId,
      source: bufferSource(l.gzip),
    });
  }
  const assembled = assembleImage({
    base,
    layers,
    settings: {
      env: { TRAIN_SCRIPT: '/opt/trainer/train.mjs', TRAIN_DATA: '/opt/trainer/iris-train.csv' },
      entrypoint: ['node', '/opt/trainer/main.ts'],
    },
    annotations: {},
    created: 0,
  });
  const registry = await Registry.connect(registryHost);
  await publish(assembled, { kind: 'registry', registry, repo: 'acme/trainer' }, ['test'], quietLog);
  return `${registryHost}/acme/trainer@${assembled.digest}`;
}
