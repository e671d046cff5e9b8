/**
 * Model versions and stages, kept in the OCI registry itself (no separate model registry to run).
 * A version is a pushed manifest digest with its
 * annotations; a stage (`candidate`, `staging`, `production`, or any tag) is a tag moved on
 * promotion. Each promotion is recorded, with the stage's previous holder, in a small history
 * artifact tagged `modelship-history.<stage>`, so a rollback knows where to go without a database.
 */
import { Readable } from 'node:stream';
import { InputError } from '../errors.ts';
import type { Registry } from '../oci/client.ts';
import { sha256Bytes } from '../oci/digest.ts';
import { isValidDigest, isValidTag } from '../oci/reference.ts';
import { manifestOrUndefined } from '../oci/store.ts';
import { MEDIA } from '../oci/types.ts';

export const HISTORY_TYPE = 'application/vnd.modelship.stage-history.v1+json';
const HISTORY_TAG = (stage: string) => `modelship-history.${stage}`;
const EMPTY = Buffer.from('{}');

export interface Version {
  digest: string;
  tags: string[];
  created: string | undefined;
  annotations: Record<string, string>;
}

export interface Promotion {
  stage: string;
  digest: string;
  /** The digest that held the stage before; null for the first promotion. */
  previous: string | null;
  at: string;
  /** The CI run or user that promoted, when known. */
  by: string | null;
}

const source = (b: Buffer) => ({ digest: sha256Bytes(b), size: b.length, open: () => Readable.from([b]) });

interface ManifestJson {
  artifactType?: string;
  config?: { mediaType?: string };
  layers?: { digest: string; mediaType: string }[];
  annotations?: Record<string, string>;
}

export function checkStage(stage: string): void {
  if (!isValidTag(stage) || stage.startsWith('modelship-history.')) {
    throw new InputError(`'${stage}' cannot be a stage`, {
      where: { path: 'stage' },
      fix: 'A stage is a tag: letters, digits, `_`, `.` and `-`, up to 128 characters, e.g. production.',
    });
  }
}

/** A version is named by its digest exactly as `versions list` prints it; anything else is refused. */
export function checkDigest(digest: string): void {
  if (!isValidDigest(digest)) {
    throw new InputError(`'${digest}' is not a digest`, {
      where: { path: 'digest' },
      fix: 'A digest is sha256: followed by 64 lowercase hex digits, as modelship versions list prints it.',
    });
  }
}

/** The repository as a user names it (`ghcr.io/acme/model`), for hints they can paste back. */
const fullName = (registry: Registry, repo: string) =>
  `${registry.host === 'registry-1.docker.io' ? 'docker.io' : registry.host}/${repo}`;

function notInRegistry(registry: Registry, repo: string, digest: string): InputError {
  const name = fullName(registry, repo);
  return new InputError(`${name}@${digest} is not in the registry`, {
    where: { path: 'digest' },
    fix: `List the versions with: modelship versions list --name ${name}`,
  });
}

/**
 * One version by digest: as listed when a tag holds it, else from its manifest alone (a version
 * whose tags all moved on is still there, and a rollback may want it).
 */
export async function findVersion(registry: Registry, repo: string, digest: string): Promise<Version> {
  checkDigest(digest);
  const listed = (await listVersions(registry, repo)).find((v) => v.digest === digest);
  if (listed) return listed;
  const m = await manifestOrUndefined(registry, repo, digest);
  if (!m) throw notInRegistry(registry, repo, digest);
  return versionOf(digest, m.bytes, []);
}

function versionOf(digest: string, manifest: Buffer, tags: string[]): Version {
  const annotations = (JSON.parse(manifest.toString('utf8')) as ManifestJson).annotations ?? {};
  return { digest, tags, created: annotations['org.opencontainers.image.created'], annotations };
}

/** A stage nobody was promoted to yet. */
export function stageEmpty(registry: Registry, repo: string, stage: string): InputError {
  const name = fullName(registry, repo);
  return new InputError(`nothing holds stage '${stage}' in ${name}`, {
    where: { path: 'stage' },
    fix: `Promote a version first: modelship versions promote --name ${name} --digest sha256:… --stage ${stage}`,
  });
}

/** Every version in the repository with its tags and annotations, newest first. */
export async function listVersions(registry: Registry, repo: string): Promise<Version[]> {
  const byDigest = new Map<string, Version>();
  for (const tag of await registry.listTags(repo)) {
    if (tag.startsWith('modelship-history.')) continue;
    const m = await registry.getManifest(repo, tag);
    const seen = byDigest.get(m.digest);
    if (seen) {
      seen.tags.push(tag);
      continue;
    }
    byDigest.set(m.digest, versionOf(m.digest, m.bytes, [tag]));
  }
  return [...byDigest.values()].sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
}

/** The digest a stage (or any tag) points at, or undefined when nothing holds it. */
export async function resolveStage(
  registry: Registry,
  repo: string,
  stage: string,
): Promise<string | undefined> {
  checkStage(stage);
  return (await manifestOrUndefined(registry, repo, stage))?.digest;
}

export async function stageHistory(registry: Registry, repo: string, stage: string): Promise<Promotion[]> {
  checkStage(stage);
  const m = await manifestOrUndefined(registry, repo, HISTORY_TAG(stage));
  if (!m) return [];
  const json = JSON.parse(m.bytes.toString('utf8')) as ManifestJson;
  const layer = json.layers?.find((l) => l.mediaType === HISTORY_TYPE);
  if (!layer) return [];
  const chunks: Buffer[] = [];
  for await (const c of await registry.readBlob(repo, layer.digest)) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Promotion[];
}

/**
 * Points `stage` at `digest` (a version already in the repository) and appends the move to the
 * stage's history, newest first. Promoting the digest that already holds the stage changes nothing.
 */
export async function promote(
  registry: Registry,
  repo: string,
  digest: string,
  stage: string,
  by: string | null = null,
): Promise<Promotion> {
  checkStage(stage);
  checkDigest(digest);
  const target = await manifestOrUndefined(registry, repo, digest);
  if (!target) throw notInRegistry(registry, repo, digest);
  const previous = (await manifestOrUndefined(registry, repo, stage))?.digest ?? null;
  const history = await stageHistory(registry, repo, stage);
  const entry: Promotion = { stage, digest, previous, at: new Date().toISOString(), by };
  if (previous === digest) return history[0] ?? entry;
  await registry.putManifest(repo, stage, target.bytes, target.mediaType);
  await writeHistory(registry, repo, stage, [entry, ...history]);
  return entry;
}

async function writeHistory(registry: Registry, repo: string, stage: string, entries: Promotion[]) {
  const body = Buffer.from(JSON.stringify(entries));
  const config = source(EMPTY);
  const layer = source(body);
  await registry.pushBlob(repo, config);
  await registry.pushBlob(repo, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      artifactType: HISTORY_TYPE,
      config: { mediaType: MEDIA.ociEmpty, digest: config.digest, size: config.size },
      layers: [{ mediaType: HISTORY_TYPE, digest: layer.digest, size: layer.size }],
      annotations: { 'dev.modelship.stage': stage },
    }),
  );
  await registry.putManifest(repo, HISTORY_TAG(stage), manifest, MEDIA.ociManifest);
}
