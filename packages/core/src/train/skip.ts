/**
 * Skip when nothing changed: a model trained with the same key was pushed under the key's tag
 * (key.ts), so one manifest request answers whether the registry already holds it — in well under
 * a second, without starting anything.
 */
import type { Registry } from '../oci/client.ts';
import { manifestOrUndefined } from '../oci/store.ts';
import { keyTag } from './key.ts';

/** The digest of the model trained with `key` in `repository`, if there is one. */
export async function findTrained(
  registry: Registry,
  repository: string,
  key: string,
): Promise<string | undefined> {
  const m = await manifestOrUndefined(registry, repository, keyTag(key));
  return m?.digest;
}
