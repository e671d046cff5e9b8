/**
 * What each runtime adds on top of its base: layers (as descriptors with their sources) and the
 * config settings. The model always goes in its own uncompressed layer, whose digest is cached
 * per file, so an unchanged model is neither hashed again nor uploaded again.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../../errors.ts';
import { bufferSource, type ImageSettings, type NewLayer } from '../../oci/assemble.ts';
import { DigestCache, sha256File } from '../../oci/digest.ts';
import { dirLayer, fileLayer, layerDigest, type SmallLayer, smallLayer } from '../../oci/tar.ts';
import { tritonConfig } from '../../oci/triton.ts';
import { type BlobSource, type ImagePlatform, MEDIA } from '../../oci/types.ts';
import type { Signature } from '../../onnx/signature.ts';
import { nativePackageDir } from '../../platform/native.ts';
import type { Logger } from '../../platform/port.ts';

export interface RuntimeParts {
  layers: NewLayer[];
  modelDigest: string;
  /** What the image's config sets (none for an artifact). */
  settings: ImageSettings;
}

export interface PartsOptions {
  model: string;
  name: string;
  version: string;
  platform: ImagePlatform;
  /** The model's signature, read when its inputs were checked (serve and triton). */
  signature: Signature | undefined;
  mtime: number;
  log: Logger;
}

export const MODEL_PATH = '/models/model.onnx';
export const SERVE_PORT = 8080;
/** The model alone, as an artifact: ORAS-style, the file itself is the layer. */
export const ARTIFACT_TYPE = 'application/vnd.modelship.model.v1';
export const ARTIFACT_LAYER = 'application/vnd.modelship.model.file.v1';
export const ARTIFACT_CONFIG = 'application/vnd.modelship.model.config.v1+json';

const small = (l: SmallLayer): NewLayer => ({
  descriptor: { mediaType: MEDIA.ociLayerGzip, digest: l.digest, size: l.size },
  diffId: l.diffId,
  source: bufferSource(l.gzip, l.digest),
});

/** The model's tar layer, digested once per file (and cached), with the model file's own digest. */
async function modelLayer(
  file: string,
  pathInImage: string,
  mtime: number,
): Promise<{ layer: NewLayer; modelDigest: string }> {
  const layer = await fileLayer(file, pathInImage, { mtime });
  const d = await new DigestCache().cachedDigest(layer.cacheKey, file, () => layerDigest(layer));
  return {
    layer: {
      descriptor: { mediaType: MEDIA.ociLayer, digest: d.digest, size: d.size },
      diffId: d.digest,
      source: { digest: d.digest, size: d.size, open: layer.open },
    },
    modelDigest: d.modelDigest,
  };
}

/** dist/serve.mjs and every chunk it imports, found from wherever this code runs (sources or bundle). */
function serveBundle(): { dir: string; files: string[] } {
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(join(dir, 'serve.mjs')) && basename(dir) === 'dist') break;
    if (existsSync(join(dir, 'dist', 'serve.mjs'))) {
      dir = join(dir, 'dist');
      break;
    }
    if (dirname(dir) === dir) {
      throw new InputError('the modelship server bundle (dist/serve.mjs) is not next to this build-image', {
        fix: 'Run build-image from the modelship action or CLI package, which ships dist/.',
      });
    }
    dir = dirname(dir);
  }
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["'](\.\.?\/[^"']+\.mjs)["']/g))
      visit(resolve(dirname(file), m[1]!));
  };
  visit(join(dir, 'serve.mjs'));
  return { dir, files: [...seen].map((f) => relative(dir, f)).sort() };
}

const ARCH: Record<string, string> = { amd64: 'x64', arm64: 'arm64' };

async function serveParts(o: PartsOptions): Promise<RuntimeParts> {
  const arch = ARCH[o.platform.architecture];
  if (o.platform.os !== 'linux' || !arch) {
    throw new InputError(
      `runtime serve has no onnxruntime-node build for ${o.platform.os}/${o.platform.architecture}`,
      {
        where: { path: 'platform' },
        fix: 'Use linux/amd64 or linux/arm64.',
      },
    );
  }
  const bundle = serveBundle();
  const app = await smallLayer(
    bundle.files.map((f) => ({ path: `opt/modelship/${f}`, data: readFileSync(join(bundle.dir, f)) })),
    { mtime: o.mtime },
  );
  const ort = await nativePackageDir('onnxruntime', o.log);
  const common = dirname(createRequire(join(ort, 'package.json')).resolve('onnxruntime-common'));
  const commonRoot = common.slice(0, common.lastIndexOf('onnxruntime-common') + 'onnxruntime-common'.length);
  const binaries = `bin/napi-v6/linux/${arch}`;
  const runtime = await dirLayer(ort, 'opt/modelship/node_modules/onnxruntime-node', {
    mtime: o.mtime,
    include: (rel) =>
      rel === 'package.json' ||
      rel.startsWith('dist') ||
      rel === 'bin' ||
      rel === 'bin/napi-v6' ||
      rel === 'bin/napi-v6/linux' ||
      rel.startsWith(binaries),
  });
  const commonLayer = await dirLayer(commonRoot, 'opt/modelship/node_modules/onnxruntime-common', {
    mtime: o.mtime,
    include: (rel) => rel === 'package.json' || rel.startsWith('dist'),
  });
  const { layer, modelDigest } = await modelLayer(o.model, MODEL_PATH.slice(1), o.mtime);
  return {
    layers: [small(commonLayer), small(runtime), small(app), layer],
    modelDigest,
    settings: {
      env: {
        MODELSHIP_MODEL: MODEL_PATH,
        MODELSHIP_MODEL_NAME: o.name,
        MODELSHIP_MODEL_VERSION: o.version,
        MODELSHIP_HOST: '0.0.0.0',
        MODELSHIP_PORT: String(SERVE_PORT),
      },
      entrypoint: ['node', '/opt/modelship/serve.mjs'],
      exposedPorts: [SERVE_PORT],
      workingDir: '/opt/modelship',
    },
  };
}

async function tritonParts(o: PartsOptions): Promise<RuntimeParts> {
  const signature = o.signature;
  if (!signature) throw new Error('triton needs the model signature read by checkInputs');
  const batched = signature.inputs.every((i) => typeof i.shape[0] !== 'number' || i.shape[0] < 0);
  const config = tritonConfig({
    name: o.name,
    inputs: signature.inputs,
    outputs: signature.outputs.filter((t) => t.type !== 'non-tensor'),
    maxBatchSize: batched ? 64 : 0,
    gpu: true,
  });
  const pbtxt = await smallLayer([{ path: `models/${o.name}/config.pbtxt`, data: config }], {
    mtime: o.mtime,
  });
  const { layer, modelDigest } = await modelLayer(o.model, `models/${o.name}/1/model.onnx`, o.mtime);
  return {
    layers: [small(pbtxt), layer],
    modelDigest,
    settings: {
      entrypoint: [
        'tritonserver',
        '--model-repository=/models',
        '--allow-metrics=true',
        '--metrics-port=8002',
      ],
      exposedPorts: [8000, 8001, 8002],
    },
  };
}

/** The model file itself as the one layer: no tar, so `oras pull` gives back the file. */
async function artifactParts(o: PartsOptions): Promise<RuntimeParts> {
  const d = await new DigestCache().cachedDigest(`file:${resolve(o.model)}`, o.model, () =>
    sha256File(o.model),
  );
  const source: BlobSource = {
    digest: d.digest,
    size: d.size,
    open: (offset = 0) => createReadStream(o.model, { start: offset, highWaterMark: 1 << 20 }),
  };
  return {
    layers: [
      {
        descriptor: {
          mediaType: ARTIFACT_LAYER,
          digest: d.digest,
          size: d.size,
          annotations: { 'org.opencontainers.image.title': basename(o.model) },
        },
        diffId: d.digest,
        source,
      },
    ],
    modelDigest: d.digest,
    settings: {},
  };
}

export const PARTS = { serve: serveParts, triton: tritonParts, artifact: artifactParts } as const;
