/**
 * Where a rollback goes, read from the release record: `previous` (the stable before the release
 * being undone), a revision (`7`, `r7`), an image digest (`sha256:…` or `name@sha256:…`), or a
 * model version (`v1`: a release's version, or the version build-image recorded on its image).
 * Pure: the record in, the target out, so every rule here is a unit test.
 */
import { ConfigurationError } from '../../errors.ts';
import type { Release, ReleaseRecord } from '../release.ts';

export interface Target {
  /** The image to serve, by digest when the record or the user gave one. */
  image: string;
  /** What people call it: the release's version, else the digest's first 12 hex digits. */
  version: string;
  /** The release that deployed it, when the record has one. */
  release: Release | undefined;
  /** The releases that served after it and are being undone, newest first. */
  undo: Release[];
  /** What the user asked for, as they wrote it. */
  asked: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const REVISION = /^(?:r|revision\s*)?(\d+)$/i;
/** Statuses of a release that put its version in front of traffic, and so can be undone. */
const SERVED = new Set(['promoted', 'in-progress', 'paused', 'applied']);
/** Statuses of a release whose version served and was good: a rollback may return to it. */
const GOOD = new Set(['promoted', 'rolled-back']);

/** The error every "cannot tell from the record" case ends in: it offers the way that needs no record. */
export function recordError(what: string, where: string, image?: string): ConfigurationError {
  return new ConfigurationError(what, {
    where: { path: where },
    fix: `Roll back to a known-good image by digest instead: to: ${image ? imageRepo(image) : '<image>'}@sha256:…`,
  });
}

export function resolveTarget(record: ReleaseRecord, to: string, app: string, where: string): Target {
  const asked = to.trim();
  const current = record.releases[0];
  if (asked.includes('@') || DIGEST.test(asked)) return byDigest(record, asked, app, where);
  if (record.damaged)
    throw recordError(
      `the release record of ${app} (ConfigMap ${app}-modelship-releases) is damaged: it no longer parses`,
      where,
    );
  if (!current)
    throw recordError(
      `${app} has no release record (ConfigMap ${app}-modelship-releases), so '${asked}' cannot be found`,
      where,
    );
  if (asked === 'previous') return previous(record, app, where);
  const revision = REVISION.exec(asked);
  if (revision) return byRevision(record, Number(revision[1]), app, where);
  return byVersion(record, asked, app, where);
}

/** The release now in front of traffic and the stable one before it. */
function previous(record: ReleaseRecord, app: string, where: string): Target {
  for (const r of record.releases) {
    // A repeated rollback changes nothing: the last one's target is where `previous` already is.
    if (r.kind === 'rollback' && (r.status === 'rolled-back' || r.status === 'applied'))
      return targetOf(record, r.image, 'previous', []);
    if (r.kind === 'rollback') continue; // one that failed: what it tried to undo is still to undo
    if (r.rolledBackBy || !SERVED.has(r.status)) continue;
    if (!r.previousImage)
      throw recordError(
        `release ${r.revision} of ${app} was its first: there is no previous version to go back to`,
        where,
        r.image,
      );
    return targetOf(record, r.previousImage, 'previous', [r]);
  }
  throw recordError(`no release of ${app} in the record ever served`, where, record.releases[0]?.image);
}

function byRevision(record: ReleaseRecord, revision: number, app: string, where: string): Target {
  const r = record.releases.find((x) => x.revision === revision);
  const kept = record.releases.map((x) => x.revision).join(', ');
  if (!r) throw recordError(`release ${revision} of ${app} is not in the record (it keeps ${kept})`, where);
  if (!GOOD.has(r.status))
    throw new ConfigurationError(`release ${revision} of ${app} never served to the end (${r.status})`, {
      where: { path: where },
      fix: `Pick a promoted release: ${goodOnes(record) || 'none in the record'}, or an image by digest.`,
    });
  return targetOf(record, r.image, String(revision), undoneSince(record, r.revision));
}

function byVersion(record: ReleaseRecord, version: string, app: string, where: string): Target {
  const r = record.releases.find(
    (x) =>
      GOOD.has(x.status) &&
      (x.version === version || x.facts?.['org.opencontainers.image.version'] === version),
  );
  if (!r)
    throw recordError(
      `no promoted release of ${app} has version '${version}' (promoted: ${goodOnes(record) || 'none'})`,
      where,
      record.releases[0]?.image,
    );
  return targetOf(record, r.image, version, undoneSince(record, r.revision));
}

function byDigest(record: ReleaseRecord, asked: string, app: string, where: string): Target {
  const current = record.releases.find((r) => SERVED.has(r.status) || r.status === 'rolled-back');
  let image = asked;
  if (!asked.includes('@')) {
    if (!current)
      throw new ConfigurationError(
        `'${asked}' names no repository and ${app} has no release to take it from`,
        {
          where: { path: where },
          fix: 'Give the whole image: to: registry/repository@sha256:…',
        },
      );
    image = `${imageRepo(current.image)}@${asked}`;
  }
  const digest = image.slice(image.indexOf('@') + 1);
  if (!DIGEST.test(digest))
    throw new ConfigurationError(`'${asked}' is not an image by digest`, {
      where: { path: where },
      fix: 'Write it as registry/repository@sha256: followed by 64 hex digits.',
    });
  const r = record.releases.find((x) => x.image === image && GOOD.has(x.status));
  return targetOf(record, image, asked, r ? undoneSince(record, r.revision) : servedNow(record));
}

function targetOf(record: ReleaseRecord, image: string, asked: string, undo: Release[]): Target {
  const release = record.releases.find((x) => x.image === image && GOOD.has(x.status));
  return { image, version: release?.version ?? versionOfImage(image), release, undo, asked };
}

/** Releases after `revision` that served and were not undone yet, newest first. */
function undoneSince(record: ReleaseRecord, revision: number): Release[] {
  return record.releases.filter((r) => r.revision > revision && !r.rolledBackBy && SERVED.has(r.status));
}

function servedNow(record: ReleaseRecord): Release[] {
  const r = record.releases.find(
    (x) => !x.rolledBackBy && (SERVED.has(x.status) || x.status === 'rolled-back'),
  );
  return r && r.kind !== 'rollback' ? [r] : [];
}

const goodOnes = (record: ReleaseRecord) =>
  record.releases
    .filter((r) => GOOD.has(r.status))
    .map((r) => `${r.revision} (${r.version})`)
    .join(', ');

/** `registry/repo` of `registry/repo:tag@sha256:…`. */
export function imageRepo(image: string): string {
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
}

export function versionOfImage(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 8, at + 20);
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(colon + 1) : 'latest';
}
