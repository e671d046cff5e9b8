/**
 * A model given by reference (`registry/repo@sha256:…`, what train-dispatch outputs) instead of a
 * path: pulled once into a cache folder named by the digest, the manifest and the file both
 * verified against their digests as they arrive, and used as a local file. One place for every step
 * whose `model` input accepts a reference (evaluate-model, build-image).
 */
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../errors.ts';
import { writeFileAtomic } from '../files/atomic.ts';
import type { Logger } from '../platform/port.ts';
import { type Credentials, Registry } from './client.ts';
import { parseReference } from './reference.ts';
import type { Descriptor } from './types.ts';

const BY_DIGEST = /^[^\s@]+@sha256:[0-9a-f]{64}$/;
const TITLE = 'org.opencontainers.image.title';

export interface PullOptions {
  /** The input's name, for errors. */
  input: string;
  credentials?: Credentials | undefined;
  insecure?: boolean | undefined;
  log: Logger;
  signal?: AbortSignal | undefined;
  /** Where pulled models are kept; default: the system's temporary folder. */
  cacheDir?: string;
}

/** The model as a local path: `model` itself when it is one, else the pulled artifact's file. */
export async function localModel(model: string, o: PullOptions): Promise<string> {
  if (!BY_DIGEST.test(model) || (await stat(model).catch(() => undefined))) return model;
  const ref = parseReference(model, o.input);
  const digest = ref.digest!;
  const dir = join(o.cacheDir ?? join(tmpdir(), 'modelship-models'), digest.replace(':', '-'));
  // A digest names the content for good, and the file lands here only once verified: no request needed.
  const cached = (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.endsWith('.tmp'));
  if (cached.length === 1) return join(dir, cached[0]!);
  const registry = await Registry.connect(ref.registry, {
    ...(o.credentials && { credentials: o.credentials }),
    ...(o.insecure && { insecure: true }),
    log: o.log,
    ...(o.signal && { signal: o.signal }),
  });
  const manifest = await registry.getManifest(ref.repository, digest);
  const layer = modelLayer(
    JSON.parse(manifest.bytes.toString('utf8')) as { layers?: Descriptor[] },
    model,
    o.input,
  );
  const file = join(dir, safeName(layer.annotations?.[TITLE] ?? 'model'));
  o.log.info(`pulling model ${model} (${layer.size} bytes)`);
  await writeFileAtomic(file, await registry.readBlob(ref.repository, layer.digest));
  return file;
}

/** The artifact's one file: build-image `--runtime artifact` writes the model as its single layer. */
function modelLayer(m: { layers?: Descriptor[] }, model: string, input: string): Descriptor {
  const layers = m.layers ?? [];
  const titled = layers.filter((l) => l.annotations?.[TITLE]);
  const layer = titled.length === 1 ? titled[0] : layers.length === 1 ? layers[0] : undefined;
  if (!layer)
    throw new InputError(`${input}: ${model} is not a model artifact (it has ${layers.length} layers)`, {
      fix: "Give the `model` output of train-dispatch, or an artifact pushed by build-image's `--runtime artifact`.",
    });
  return layer;
}

const safeName = (name: string) => basename(name).replace(/[^A-Za-z0-9._-]/g, '_') || 'model';

/** The pull options from a step's registry inputs (steps/registry-inputs.ts). */
export function pullOptionsOf(
  inputs: {
    'registry-username'?: string | undefined;
    'registry-password'?: string | undefined;
    'insecure-registry': boolean;
  },
  input: string,
  log: Logger,
  signal?: AbortSignal,
): PullOptions {
  const username = inputs['registry-username'];
  const password = inputs['registry-password'];
  return {
    input,
    credentials: username && password ? { username, password } : undefined,
    insecure: inputs['insecure-registry'],
    log,
    signal,
  };
}
