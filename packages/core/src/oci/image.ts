/**
 * Image configs, manifests and indexes as bytes. A manifest's digest is the sha256 of its exact
 * bytes, so every document is written as canonical JSON (keys sorted, no whitespace, nothing from
 * the clock but SOURCE_DATE_EPOCH): one commit builds one digest. Base images are read in OCI or
 * Docker schema 2 form; their layer descriptors are reused untouched (a Docker gzip layer keeps its
 * Docker media type, since relabelling it would only differ from what the base's registry serves),
 * and only the layers we add are OCI-typed.
 */
import { InputError } from '../errors.ts';
import { sha256Bytes } from './digest.ts';
import { isValidDigest } from './reference.ts';
import { type Descriptor, type ImagePlatform, MEDIA } from './types.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** JSON with object keys sorted and no whitespace; undefined members are left out. */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(sortKeys(value)));
}

function sortKeys(value: unknown): Json | undefined {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v) ?? null);
  if (value && typeof value === 'object') {
    const out: Record<string, Json | undefined> = {};
    for (const key of Object.keys(value).sort()) {
      const v = sortKeys((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  return value as Json | undefined;
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org) in seconds, or 0 when unset. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH?.trim();
  if (!raw) return 0;
  if (!/^\d{1,11}$/.test(raw)) {
    throw new InputError(`SOURCE_DATE_EPOCH is '${raw}', not a whole number of seconds`, {
      where: { path: 'SOURCE_DATE_EPOCH' },
      fix: 'Set it to a Unix time such as the commit time: `git log -1 --format=%ct`.',
    });
  }
  return Number(raw);
}

/** RFC 3339 without fractional seconds, as Docker writes `created`. */
export const rfc3339 = (epochSeconds: number) =>
  new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');

export interface HistoryEntry {
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfigOptions {
  /** The base image's config, parsed; its settings, layers and history carry over. */
  base?: Record<string, unknown>;
  /** Needed without a base; with one, it must agree (we do not re-target a base). */
  platform?: ImagePlatform;
  /** Set or replace variables; the base's others stay, in their order. */
  env?: Record<string, string>;
  /** Setting an entrypoint without a cmd clears the base's cmd, as a Dockerfile ENTRYPOINT does. */
  entrypoint?: string[];
  cmd?: string[];
  /** `8080` means `8080/tcp`. */
  exposedPorts?: (number | string)[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
  /** Diff IDs of the layers we add, after the base's. */
  diffIds: string[];
  /** Seconds since the epoch: SOURCE_DATE_EPOCH, or 0. */
  created: number;
  /** One per added layer; left out, each added layer gets `created_by: modelship`. */
  history?: HistoryEntry[];
}

export function imageConfig(o: ImageConfigOptions): Buffer {
  const base = o.base ?? {};
  const platform = configPlatform(base, o.platform);
  const created = rfc3339(o.created);
  const settings = { ...((base.config as Record<string, unknown> | null) ?? {}) };
  if (o.env) settings.Env = mergeEnv(settings.Env, o.env);
  if (o.entrypoint) {
    settings.Entrypoint = o.entrypoint;
    if (!o.cmd) delete settings.Cmd;
  }
  if (o.cmd) settings.Cmd = o.cmd;
  if (o.workingDir !== undefined) settings.WorkingDir = o.workingDir;
  if (o.user !== undefined) settings.User = o.user;
  if (o.exposedPorts?.length) {
    const ports = { ...((settings.ExposedPorts as Record<string, object> | undefined) ?? {}) };
    for (const p of o.exposedPorts) ports[typeof p === 'number' || !p.includes('/') ? `${p}/tcp` : p] = {};
    settings.ExposedPorts = ports;
  }
  if (o.labels)
    settings.Labels = { ...((settings.Labels as Record<string, string> | null) ?? {}), ...o.labels };
  const rootfs = base.rootfs as { diff_ids?: string[] } | undefined;
  const added = o.history ?? o.diffIds.map(() => ({ created_by: 'modelship' }));
  return canonicalJson({
    architecture: platform.architecture,
    os: platform.os,
    variant: platform.variant,
    'os.version': base['os.version'],
    'os.features': base['os.features'],
    author: base.author,
    created,
    config: settings,
    rootfs: { type: 'layers', diff_ids: [...(rootfs?.diff_ids ?? []), ...o.diffIds] },
    history: [...((base.history as object[] | undefined) ?? []), ...added.map((h) => ({ created, ...h }))],
  });
}

function configPlatform(base: Record<string, unknown>, given: ImagePlatform | undefined): ImagePlatform {
  if (typeof base.os === 'string' && typeof base.architecture === 'string') {
    const fromBase: ImagePlatform = { os: base.os, architecture: base.architecture };
    if (typeof base.variant === 'string') fromBase.variant = base.variant;
    if (given && !samePlatform(given, fromBase)) {
      throw new InputError(`the base image is ${formatPlatform(fromBase)}, not ${formatPlatform(given)}`, {
        where: { path: 'platform' },
        fix: 'Pick the base image for that platform, or build for the platform the base is.',
      });
    }
    return fromBase;
  }
  if (!given) throw new Error('imageConfig needs a platform when the base config has none');
  return given;
}

function mergeEnv(base: unknown, set: Record<string, string>): string[] {
  const out = Array.isArray(base) ? base.map(String) : [];
  for (const [key, value] of Object.entries(set)) {
    const at = out.findIndex((e) => e.split('=')[0] === key);
    if (at === -1) out.push(`${key}=${value}`);
    else out[at] = `${key}=${value}`;
  }
  return out;
}

export interface ImageManifestOptions {
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  artifactType?: string;
  subject?: Descriptor;
}

export function imageManifest(o: ImageManifestOptions): Buffer {
  for (const d of [o.config, ...o.layers, ...(o.subject ? [o.subject] : [])]) checkDescriptor(d);
  return canonicalJson({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    artifactType: o.artifactType,
    config: o.config,
    layers: o.layers,
    subject: o.subject,
    annotations: o.annotations && Object.keys(o.annotations).length ? o.annotations : undefined,
  });
}

/** The OCI empty blob `{}`: the config of an artifact that has none, and its only layer when it has none. */
export const EMPTY_JSON = {
  data: Buffer.from('{}'),
  descriptor: {
    mediaType: MEDIA.ociEmpty,
    digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    size: 2,
  } satisfies Descriptor,
};

export interface ArtifactManifestOptions {
  artifactType: string;
  /** The empty descriptor when left out, as OCI 1.1 advises for artifacts. */
  config?: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  subject?: Descriptor;
}

/** An OCI 1.1 artifact: an image manifest with artifactType set (no separate artifact manifest type). */
export function artifactManifest(o: ArtifactManifestOptions): Buffer {
  return imageManifest({
    artifactType: o.artifactType,
    config: o.config ?? EMPTY_JSON.descriptor,
    layers: o.layers.length ? o.layers : [EMPTY_JSON.descriptor],
    ...(o.annotations ? { annotations: o.annotations } : {}),
    ...(o.subject ? { subject: o.subject } : {}),
  });
}

export function imageIndex(manifests: Descriptor[], annotations?: Record<string, string>): Buffer {
  for (const d of manifests) checkDescriptor(d);
  return canonicalJson({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests, annotations });
}

/** A descriptor for bytes we hold, e.g. a config or manifest just built. */
export const descriptorOf = (
  mediaType: string,
  data: Buffer,
  extra: Partial<Descriptor> = {},
): Descriptor => ({
  mediaType,
  digest: sha256Bytes(data),
  size: data.length,
  ...extra,
});

function checkDescriptor(d: Descriptor) {
  if (!isValidDigest(d.digest) || !Number.isSafeInteger(d.size) || d.size < 0 || !d.mediaType) {
    throw new Error(`malformed descriptor ${JSON.stringify(d)}`);
  }
}

export type BaseDocument =
  | {
      kind: 'manifest';
      format: 'oci' | 'docker';
      mediaType: string;
      config: Descriptor;
      layers: Descriptor[];
    }
  | { kind: 'index'; format: 'oci' | 'docker'; mediaType: string; manifests: Descriptor[] };

/**
 * A base image's manifest or index, OCI or Docker schema 2, from its bytes and (when a registry
 * sent one) its Content-Type. Descriptors come back exactly as the base lists them.
 */
export function parseManifest(bytes: Buffer | string, contentType?: string): BaseDocument {
  const doc = parseObject(bytes, 'manifest');
  if (doc.schemaVersion === 1) {
    throw new InputError('the base image has a Docker schema 1 manifest, which modelship cannot build on', {
      where: { path: 'base-image' },
      fix: 'Use a base image pushed in the last few years (Docker schema 2 or OCI), or re-push it.',
    });
  }
  const mediaType =
    (typeof doc.mediaType === 'string' && doc.mediaType) ||
    contentType?.split(';')[0]?.trim() ||
    (Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
  const docker = mediaType === MEDIA.dockerManifest || mediaType === MEDIA.dockerList;
  if (mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList) {
    if (!Array.isArray(doc.manifests)) throw malformed('an index without manifests');
    return {
      kind: 'index',
      format: docker ? 'docker' : 'oci',
      mediaType,
      manifests: doc.manifests as Descriptor[],
    };
  }
  if (mediaType === MEDIA.ociManifest || mediaType === MEDIA.dockerManifest) {
    if (!doc.config || typeof doc.config !== 'object' || !Array.isArray(doc.layers)) {
      throw malformed('a manifest without config or layers');
    }
    return {
      kind: 'manifest',
      format: docker ? 'docker' : 'oci',
      mediaType,
      config: doc.config as Descriptor,
      layers: doc.layers as Descriptor[],
    };
  }
  throw new InputError(
    `the base image's manifest is of type '${mediaType}', which modelship cannot build on`,
    {
      where: { path: 'base-image' },
      fix: 'Use an image (OCI or Docker schema 2), not another kind of artifact.',
    },
  );
}

/** A base image's config (OCI or Docker: the fields modelship uses are the same). */
export function parseConfig(bytes: Buffer | string): Record<string, unknown> {
  return parseObject(bytes, 'config');
}

function parseObject(bytes: Buffer | string, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString());
  } catch {
    throw malformed(`a ${what} that is not JSON`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw malformed(`a ${what} that is not a JSON object`);
  return doc as Record<string, unknown>;
}

const malformed = (what: string) =>
  new InputError(`the base image has ${what}`, {
    where: { path: 'base-image' },
    fix: 'Check that base-image names a container image and that the registry serves it intact.',
  });

/** How a layer's bytes are compressed, from its media type (OCI or Docker); undefined if not a layer we know. */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' | undefined {
  switch (mediaType) {
    case MEDIA.ociLayer:
    case 'application/vnd.docker.image.rootfs.diff.tar':
      return 'none';
    case MEDIA.ociLayerGzip:
    case MEDIA.dockerLayerGzip:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip':
    case 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip':
      return 'gzip';
    case 'application/vnd.oci.image.layer.v1.tar+zstd':
      return 'zstd';
    default:
      return undefined;
  }
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64' };
/** The variant an architecture has when none is written (containerd's normalisation). */
const DEFAULT_VARIANT: Record<string, string> = { amd64: 'v1', arm64: 'v8', arm: 'v7' };

function normalize(p: ImagePlatform): ImagePlatform {
  const architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  const variant = p.variant || DEFAULT_VARIANT[architecture];
  return variant ? { os: p.os, architecture, variant } : { os: p.os, architecture };
}

export function samePlatform(a: ImagePlatform, b: ImagePlatform): boolean {
  const [x, y] = [normalize(a), normalize(b)];
  return x.os === y.os && x.architecture === y.architecture && x.variant === y.variant;
}

/**
 * The index entry for a platform; `linux/arm64` matches an entry with or without `v8`. Without a
 * variant, an architecture that has no default one matches any.
 */
export function pickPlatform(index: { manifests?: unknown }, want: ImagePlatform): Descriptor | undefined {
  const manifests = Array.isArray(index.manifests) ? (index.manifests as Descriptor[]) : [];
  const w = normalize(want);
  return manifests.find((m) => {
    if (!m.platform || typeof m.platform !== 'object') return false;
    const p = normalize(m.platform);
    return p.os === w.os && p.architecture === w.architecture && (!w.variant || p.variant === w.variant);
  });
}

export const formatPlatform = (p: ImagePlatform) =>
  [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** `os/architecture[/variant]`, e.g. `linux/amd64` or `linux/arm64/v8`. */
export function parsePlatform(text: string): ImagePlatform {
  const parts = text.trim().toLowerCase().split('/');
  const ok = parts.length >= 2 && parts.length <= 3 && parts.every((p) => /^[a-z0-9][a-z0-9._-]*$/.test(p));
  if (!ok) {
    throw new InputError(`platform '${text}' is not os/architecture[/variant]`, {
      where: { path: 'platform' },
      fix: 'Write it like linux/amd64 or linux/arm64/v8.',
    });
  }
  const [os, arch, variant] = parts as [string, string, string?];
  const architecture = ARCH_ALIASES[arch] ?? arch;
  return variant ? { os, architecture, variant } : { os, architecture };
}
