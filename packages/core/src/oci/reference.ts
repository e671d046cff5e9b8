/**
 * Image references as docker reads them (`ghcr.io/acme/fraud-model:1.2`,
 * `localhost:5000/a/b@sha256:…`, `ubuntu` = `docker.io/library/ubuntu`), so a reference that
 * works with `docker pull` works here and one docker rejects is rejected with the reason.
 */
import { InputError } from '../errors.ts';

export interface Reference {
  /** Where the repository lives: `docker.io`, `ghcr.io`, `localhost:5000`. */
  registry: string;
  /** The path inside the registry: `library/ubuntu`, `acme/fraud-model`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** What docker pulls when a reference names neither a tag nor a digest. */
export const DEFAULT_TAG = 'latest';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// docker's separators: one dot, one or two underscores, or any run of dashes.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_PART = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const MAX_NAME = 255;

const SHAPE =
  'A reference looks like REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. ghcr.io/acme/fraud-model:1.2';

export const isValidTag = (tag: string): boolean => TAG.test(tag);
export const isValidDigest = (digest: string): boolean => DIGEST.test(digest);
export const isValidRepository = (repository: string): boolean =>
  repository.length > 0 &&
  repository.length <= MAX_NAME &&
  repository.split('/').every((c) => COMPONENT.test(c));

export function parseReference(s: string, input = 'name'): Reference {
  const text = s.trim();
  const fail = (why: string, fix = SHAPE) =>
    new InputError(`'${text}' is not a valid image reference: ${why}`, { where: { path: input }, fix });
  if (!text) throw new InputError('the image reference is empty', { where: { path: input }, fix: SHAPE });
  if (/\s/.test(text)) throw fail('it contains whitespace');

  const at = text.indexOf('@');
  if (at !== text.lastIndexOf('@')) throw fail("it has more than one '@'");
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const named = at < 0 ? text : text.slice(0, at);
  if (digest !== undefined && !DIGEST.test(digest))
    throw fail(`'${digest}' is not a digest`, 'A digest is sha256: followed by 64 lowercase hex digits');

  // A ':' after the last '/' starts the tag; one before it is a registry port.
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const tag = hasTag ? named.slice(colon + 1) : undefined;
  const name = hasTag ? named.slice(0, colon) : named;
  if (tag !== undefined && !TAG.test(tag))
    throw fail(
      `'${tag}' is not a valid tag`,
      'A tag is 1 to 128 letters, digits, _, . or -, and does not start with . or -',
    );

  const { registry, repository } = splitRegistry(name, fail);
  const ref: Reference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

type Fail = (why: string, fix?: string) => InputError;

function splitRegistry(name: string, fail: Fail): { registry: string; repository: string } {
  if (!name) throw fail('the repository name is missing');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  // docker's rule: the first component is a registry when it has a dot or a port, is
  // localhost, or has capitals (which a repository may not have).
  const isRegistry =
    slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  let registry = isRegistry ? first : DOCKER_HUB;
  let repository = isRegistry ? name.slice(slash + 1) : name;
  if (isRegistry) checkRegistry(registry, fail);
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;

  if (!repository) throw fail('the repository name is missing');
  if (repository.length > MAX_NAME) throw fail(`the repository name is longer than ${MAX_NAME} characters`);
  for (const c of repository.split('/')) {
    if (COMPONENT.test(c)) continue;
    if (c !== c.toLowerCase()) throw fail(`repository '${repository}' must be lowercase`);
    throw fail(
      c
        ? `'${c}' is not a valid repository path component`
        : `repository '${repository}' has an empty component`,
      'Each part of a repository path is lowercase letters and digits, joined by single ., _, __ or dashes, e.g. acme/fraud-model',
    );
  }
  return { registry, repository };
}

function checkRegistry(registry: string, fail: Fail): void {
  const m = /^(.*?)(?::(\d+))?$/.exec(registry)!;
  const hostname = m[1]!;
  const port = m[2];
  const ok =
    (IPV6.test(hostname) || (hostname.length > 0 && hostname.split('.').every((p) => DOMAIN_PART.test(p)))) &&
    (port === undefined || Number(port) <= 65535);
  if (!ok)
    throw fail(
      `'${registry}' is not a valid registry host`,
      'A registry is a host name with an optional port, e.g. ghcr.io or localhost:5000',
    );
}

/** The full form, registry always included: `docker.io/library/ubuntu:22.04`. */
export function formatReference(ref: Reference): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** What to ask the registry's manifests endpoint for: the digest if pinned, else the tag. */
export const manifestReference = (ref: Reference): string => ref.digest ?? ref.tag ?? DEFAULT_TAG;
