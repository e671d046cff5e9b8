/**
 * The image a build starts from: resolved by tag or digest in a registry, or from an OCI layout
 * (`oci:<dir>:<tag>`); from an index, the manifest of the wanted platform. Everything that can go
 * wrong here (no such image, no such platform) fails before a byte is uploaded.
 */
import { InputError } from '../errors.ts';
import type { Logger } from '../platform/port.ts';
import type { Credentials } from './auth.ts';
import { Registry } from './client.ts';
import { RegistryError } from './errors.ts';
import { formatPlatform, parseConfig, parseManifest, pickPlatform, samePlatform } from './image.ts';
import { readLayout } from './layout.ts';
import { manifestReference, parseReference } from './reference.ts';
import { readAll, type Store } from './store.ts';
import type { Descriptor, ImagePlatform } from './types.ts';

export interface Base {
  /** As the user named it, and where its blobs are. */
  name: string;
  store: Store;
  /** Registry host of a registry base, for cross-repository mounts. */
  host?: string;
  digest: string;
  config: Record<string, unknown>;
  layers: Descriptor[];
}

export interface BaseOptions {
  platform: ImagePlatform;
  credentials?: Credentials;
  /** Registry host the credentials are for: they are only sent there. */
  credentialsHost?: string;
  insecure?: boolean;
  log?: Logger;
  signal?: AbortSignal;
}

export async function resolveBase(name: string, o: BaseOptions): Promise<Base> {
  if (name.startsWith('oci:')) return fromLayout(name);
  const ref = parseReference(name, 'base-image');
  const registry = await Registry.connect(ref.registry, {
    ...(o.credentials && o.credentialsHost === ref.registry && { credentials: o.credentials }),
    ...(o.insecure && { insecure: true }),
    ...(o.log && { log: o.log }),
    ...(o.signal && { signal: o.signal }),
  });
  const store: Store = { kind: 'registry', registry, repo: ref.repository };
  let got = await registry.getManifest(ref.repository, manifestReference(ref)).catch((e: unknown) => {
    if (e instanceof RegistryError && e.kind === 'not-found') {
      throw new InputError(`base image '${name}' does not exist`, {
        where: { path: 'base-image' },
        fix: `Check the name and tag; ${ref.registry}/${ref.repository} has no '${manifestReference(ref)}'.`,
      });
    }
    throw e;
  });
  let doc = parseManifest(got.bytes, got.mediaType);
  if (doc.kind === 'index') {
    const picked = pickPlatform({ manifests: doc.manifests }, o.platform);
    if (!picked) throw noPlatform(name, o.platform, doc.manifests);
    got = await registry.getManifest(ref.repository, picked.digest);
    doc = parseManifest(got.bytes, got.mediaType);
  }
  if (doc.kind !== 'manifest')
    throw new InputError(`base image '${name}' is an index of indexes`, { where: { path: 'base-image' } });
  const config = parseConfig(await readAll(store, doc.config));
  checkPlatform(name, config, o.platform);
  return { name, store, host: ref.registry, digest: got.digest, config, layers: doc.layers };
}

async function fromLayout(name: string): Promise<Base> {
  const m = /^oci:(.+?)(?::([^:/]+))?$/.exec(name);
  const layout = await readLayout(m![1]!, m![2]);
  const store: Store = { kind: 'layout', layout };
  const doc = parseManifest(await layout.readBlob(layout.descriptor.digest), layout.descriptor.mediaType);
  if (doc.kind !== 'manifest') {
    throw new InputError(`base image '${name}' is an index; modelship reads single-platform layouts`, {
      where: { path: 'base-image' },
      fix: 'Copy the platform you want out first, e.g. skopeo copy --override-arch … oci:dir:tag',
    });
  }
  return {
    name,
    store,
    digest: layout.descriptor.digest,
    config: parseConfig(await layout.readBlob(doc.config.digest)),
    layers: doc.layers,
  };
}

function noPlatform(name: string, want: ImagePlatform, manifests: Descriptor[]): InputError {
  const have = manifests
    .map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown'))
    .filter((p) => p !== 'unknown/unknown');
  return new InputError(`base image '${name}' has no ${formatPlatform(want)} variant`, {
    where: { path: 'platform' },
    fix: `It has ${have.join(', ') || 'no platforms listed'}; set platform to one of them or pick another base.`,
  });
}

function checkPlatform(name: string, config: Record<string, unknown>, want: ImagePlatform) {
  const { os, architecture, variant } = config;
  if (typeof os !== 'string' || typeof architecture !== 'string') return; // the base does not say
  const have = { os, architecture, ...(typeof variant === 'string' && { variant }) };
  if (samePlatform(have, want) || (!want.variant && samePlatform({ os, architecture }, want))) return;
  throw new InputError(`base image '${name}' is ${formatPlatform(have)}, not ${formatPlatform(want)}`, {
    where: { path: 'platform' },
    fix: 'Set platform to match the base, or use a multi-platform base.',
  });
}
