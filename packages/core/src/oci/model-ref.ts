/**
 * A model given by reference instead of a path: an artifact by digest (`registry/repo@sha256:…`,
 * what train-dispatch outputs), or a tag (`registry/repo:production`) holding such an artifact or
 * an image build-image made from one, which records the artifact it came from. Pulled once into a
 * cache folder named by the digest, the manifest and the file both verified against their digests
 * as they arrive, and used as a local file. One place for every step whose `model` input accepts a
 * reference (evaluate-model, build-image).
 */
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../errors.ts';
import { writeFileAtomic } from '../files/atomic.ts';
import type { Logger } from '../platform/port.ts';
import { type Credentials, Registry } from './client.ts';
import { parseReference } from './reference.ts';
import { manifestOrUndefined } from './store.ts';
import type { Descriptor } from './types.ts';

const BY_DIGEST = /^[^\s@]+@sha256:[0-9a-f]{64}$/;
/** `host/repo:tag`, the host known by a dot, a port or `localhost` (a relative path has none). */
const BY_TAG = /^(?:localhost|[^\s/@]*[.:][^\s/@]*)\/[^\s@]+:[\w][\w.-]{0,127}$/;
const TITLE = 'org.opencontainers.image.title';
/** Where an image build-image made from a model artifact says which one. */
export const MODEL_SOURCE = 'dev.modelship.model.source';

/** A tag that holds nothing yet, e.g. a stage before the first release. */
export class NothingAtTag extends InputError {}

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
  return (await resolveModel(model, o)).file;
}

/** The model's local file and, when it was given by reference, the artifact's reference by digest. */
export async function resolveModel(
  model: string,
  o: PullOptions,
): Promise<{ file: string; source?: string }> {
  if (await stat(model).catch(() => undefined)) return { file: model };
  const source = BY_DIGEST.test(model)
    ? model
    : BY_TAG.test(model)
      ? await artifactOfTag(model, o)
      : undefined;
  return source ? { file: await pull(source, o), source } : { file: model };
}

async function pull(model: string, o: PullOptions): Promise<string> {
  const ref = parseReference(model, o.input);
  const digest = ref.digest!;
  const dir = join(o.cacheDir ?? join(tmpdir(), 'modelship-models'), digest.replace(':', '-'));
  // A digest names the content for good, and the file lands here only once verified: no request needed.
  const cached = (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.endsWith('.tmp'));
  if (cached.length === 1) return join(dir, cached[0]!);
  const registry = await connect(ref.registry, o);
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

/** What a tag holds, as an artifact by digest: the artifact itself, or the one an image was built from. */
async function artifactOfTag(model: string, o: PullOptions): Promise<string> {
  const ref = parseReference(model, o.input);
  const registry = await connect(ref.registry, o);
  const manifest = await manifestOrUndefined(registry, ref.repository, ref.tag!);
  if (!manifest)
    throw new NothingAtTag(`${o.input}: nothing holds ${model} yet`, {
      fix: 'Push or promote a model there first, or give a model file',
    });
  const json = JSON.parse(manifest.bytes.toString('utf8')) as {
    layers?: Descriptor[];
    annotations?: Record<string, string>;
  };
  const source = json.annotations?.[MODEL_SOURCE];
  const artifact = source ?? `${ref.registry}/${ref.repository}@${manifest.digest}`;
  if (!source) modelLayer(json, model, o.input); // an artifact, or say what it is not
  o.log.info(`${model} holds the model ${artifact}`);
  return artifact;
}

const connect = (host: string, o: PullOptions) =>
  Registry.connect(host, {
    ...(o.credentials && { credentials: o.credentials }),
    ...(o.insecure && { insecure: true }),
    log: o.log,
    ...(o.signal && { signal: o.signal }),
  });

/** The artifact's one file: build-image `--runtime artifact` writes the model as its single layer. */
function modelLayer(m: { layers?: Descriptor[] }, model: string, input: string): Descriptor {
  const layers = m.layers ?? [];
  const titled = layers.filter((l) => l.annotations?.[TITLE]);
  const layer = titled.length === 1 ? titled[0] : layers.length === 1 ? layers[0] : undefined;
  if (!layer)
    throw new InputError(`${input}: ${model} is not a model artifact (it has ${layers.length} layers)`, {
      fix: "Give the `model` output of train-dispatch, an artifact pushed by build-image's `--runtime artifact`, or an image build-image made from either.",
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
